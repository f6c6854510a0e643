using Flagger.Model;
using Flagger.Testing.Mesh;
using Flagger.Webhooks;

namespace Flagger.Demo;

/// <summary>Apps the demo hosts in-process in place of the pods of an in-cluster Service.</summary>
internal sealed class InClusterApps
{
    private readonly Dictionary<(string Namespace, string Name), Uri> apps = [];

    public void Add(string ns, string service, Uri address) => apps[(ns, service)] = address;

    public Uri? Find(string ns, string service) => apps.GetValueOrDefault((ns, service));

    public bool Serves(string service) => apps.Keys.Any(k => k.Name == service);
}

/// <summary>
/// Lets webhook URLs of in-cluster Services (<c>http://flagger-loadtester.test/</c>) reach the app the demo hosts for
/// them, but only while the Service exists in the embedded cluster, as cluster DNS would. Other URLs are called as given.
/// </summary>
internal sealed class InClusterWebhooks(IWebhookClient inner, SimulatedMesh mesh, InClusterApps apps) : IWebhookClient
{
    public Task<WebhookResult> CallAsync(CanaryWebhook webhook, WebhookPayload payload, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(webhook);
        ArgumentNullException.ThrowIfNull(payload);
        if (!Uri.TryCreate(webhook.Url, UriKind.Absolute, out var url) || !apps.Serves(url.Host.Split('.')[0]))
        {
            return inner.CallAsync(webhook, payload, cancellationToken);
        }

        if (mesh.ResolveService(url.Host, payload.Namespace) is not { } service || apps.Find(service.Namespace, service.Name) is not { } address)
        {
            return Task.FromResult(WebhookResult.Failure($"Post \"{webhook.Url}\": dial tcp: lookup {url.Host}: no such host"));
        }

        var local = new UriBuilder(url) { Scheme = address.Scheme, Host = address.Host, Port = address.Port }.Uri;
        return inner.CallAsync(webhook with { Url = local.ToString() }, payload, cancellationToken);
    }
}
