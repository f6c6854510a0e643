using Flagger.Model;
using Flagger.Webhooks;

namespace Flagger.Testing.Dns;

/// <summary>
/// Webhook calls to a Service's name (<c>http://flagger-loadtester.test/</c>) go to the app serving behind it; a name
/// with no Service fails as a failed lookup does. The inner client keeps its timeouts and retries.
/// </summary>
internal sealed class ClusterWebhookClient(IWebhookClient inner, ClusterDns dns, string searchNamespace) : IWebhookClient
{
    public Task<WebhookResult> CallAsync(CanaryWebhook webhook, WebhookPayload payload, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(webhook);
        if (!Uri.TryCreate(webhook.Url, UriKind.Absolute, out var url))
        {
            return inner.CallAsync(webhook, payload, cancellationToken);
        }

        Uri target;
        try
        {
            target = dns.Translate(url, searchNamespace);
        }
        catch (HttpRequestException e)
        {
            // In the words of the Go HTTP client, as Flagger's events quote it.
            var reason = e.HttpRequestError == HttpRequestError.NameResolutionError
                ? $"dial tcp: lookup {url.Host}: no such host"
                : $"dial tcp {url.Authority}: connect: connection refused";
            return Task.FromResult(WebhookResult.Failure($"Post \"{webhook.Url}\": {reason}"));
        }

        return ReferenceEquals(target, url)
            ? inner.CallAsync(webhook, payload, cancellationToken)
            : inner.CallAsync(webhook with { Url = target.ToString() }, payload, cancellationToken);
    }
}
