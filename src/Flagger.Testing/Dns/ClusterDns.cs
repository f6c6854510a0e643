using System.Collections.Concurrent;
using System.Net.Sockets;
using Flagger.Testing.Storage;

namespace Flagger.Testing.Dns;

/// <summary>
/// Cluster DNS for processes outside the embedded cluster's pods (the operator, a test): a host naming a Service
/// (<c>svc</c> in the search namespace, <c>svc.ns</c>, <c>svc.ns.svc</c>, <c>svc.ns.svc.cluster.local</c>) reaches
/// the in-process app registered with <see cref="Serve"/> as what runs behind that Service, while the Service exists.
/// Every other host (loopback, external names) is left to real DNS. The production operator never uses this.
/// </summary>
/// <example>
/// <code>
/// using var served = cluster.Dns.Serve("test", "flagger-loadtester", loadTester.Address);
/// var url = cluster.Dns.Translate(new Uri("http://flagger-loadtester.test/"), "istio-system");
/// </code>
/// </example>
public sealed class ClusterDns
{
    private static readonly HttpClient PodHttp = new() { Timeout = TimeSpan.FromSeconds(30) };
    private readonly ObjectStore _store;
    private readonly ConcurrentDictionary<(string Namespace, string Service), Uri> _apps = new();
    private readonly ConcurrentDictionary<string, Uri> _images = new(StringComparer.Ordinal);

    internal ClusterDns(ObjectStore store) => _store = store;

    /// <summary>Registers <paramref name="address"/> as what serves behind Service <paramref name="service"/> in <paramref name="ns"/>.</summary>
    /// <param name="ns">The Service's namespace.</param>
    /// <param name="service">The Service's name.</param>
    /// <param name="address">The loopback address of the app, e.g. <c>http://127.0.0.1:41234/</c>.</param>
    /// <returns>Dispose to unregister.</returns>
    public IDisposable Serve(string ns, string service, Uri address)
    {
        ArgumentException.ThrowIfNullOrEmpty(ns);
        ArgumentException.ThrowIfNullOrEmpty(service);
        ArgumentNullException.ThrowIfNull(address);
        _apps[(ns, service)] = address;
        return new Unregister(() => _apps.TryRemove(new KeyValuePair<(string, string), Uri>((ns, service), address)));
    }

    /// <summary>
    /// Registers <paramref name="address"/> as what serves behind any Service whose ready pods run an image named
    /// <paramref name="imageName"/> (the last path segment, any registry and tag: <c>flagger-loadtester</c> matches
    /// <c>ghcr.io/fluxcd/flagger-loadtester:0.38.0</c>). A Service registered with <see cref="Serve"/> wins.
    /// </summary>
    /// <param name="imageName">The image's name without registry, path or tag.</param>
    /// <param name="address">The loopback address of the app.</param>
    /// <returns>Dispose to unregister.</returns>
    public IDisposable ServeImage(string imageName, Uri address)
    {
        ArgumentException.ThrowIfNullOrEmpty(imageName);
        ArgumentNullException.ThrowIfNull(address);
        _images[imageName] = address;
        return new Unregister(() => _images.TryRemove(new KeyValuePair<string, Uri>(imageName, address)));
    }

    /// <summary>The app serving behind a Service (registered for it, or for its pods' image), or null.</summary>
    /// <param name="ns">The Service's namespace.</param>
    /// <param name="service">The Service's name.</param>
    /// <returns>Its address, or null.</returns>
    public Uri? Find(string ns, string service) =>
        _apps.GetValueOrDefault((ns, service)) ?? (_images.IsEmpty ? null : FindByImage(ns, service));

    /// <summary>The name an image is registered under: <c>registry/path/NAME:tag</c>.</summary>
    internal static string ImageName(string image) => image.Split('@')[0].Split('/')[^1].Split(':')[0];

    private Uri? FindByImage(string ns, string service)
    {
        if (_store.TryGet(Services, ns, service)?["spec"]?["selector"] is not System.Text.Json.Nodes.JsonObject selector || selector.Count == 0)
        {
            return null;
        }

        var pods = _store.Registry.Find("", "v1", "pods")!;
        foreach (var pod in _store.List(pods, ns, Selector.Everything, Selector.Everything).Items)
        {
            var labels = pod["metadata"]?["labels"] as System.Text.Json.Nodes.JsonObject;
            if (labels is null || !selector.All(kv => Meta.Str(labels[kv.Key]) == Meta.Str(kv.Value)) || Meta.IsDeleting(pod)
                || Meta.Str(pod["status"]?["phase"]) != "Running")
            {
                continue;
            }

            foreach (var container in pod["spec"]?["containers"] as System.Text.Json.Nodes.JsonArray ?? [])
            {
                if (_images.TryGetValue(ImageName(Meta.Str(container?["image"]) ?? ""), out var address))
                {
                    return address;
                }
            }
        }

        return null;
    }

    /// <summary>
    /// True when <paramref name="host"/> has the shape of a cluster name whose namespace exists, i.e. cluster DNS
    /// (not real DNS) answers it.
    /// </summary>
    /// <param name="host">A URL's host.</param>
    /// <param name="searchNamespace">The namespace a single-label name is looked up in.</param>
    /// <returns>Whether the name is the cluster's.</returns>
    public bool IsClusterName(string host, string searchNamespace)
    {
        ArgumentNullException.ThrowIfNull(host);
        return Split(host, searchNamespace) is { } name
               && (name.Single
                   ? _store.TryGet(Services, name.Namespace, name.Service) is not null
                   : _store.TryGet(_store.Registry.Find("", "v1", "namespaces")!, null, name.Namespace) is not null);
    }

    /// <summary>
    /// The loopback URL that <paramref name="url"/> reaches from outside the pods: unchanged for a host that is not a
    /// cluster name, the registered app's address (same path and query) for a Service's name.
    /// </summary>
    /// <param name="url">An absolute http(s) URL.</param>
    /// <param name="searchNamespace">The namespace a single-label name is looked up in (the operator's).</param>
    /// <returns>The URL to connect to.</returns>
    /// <exception cref="HttpRequestException">
    /// The name is the cluster's but no such Service exists (<c>Name or service not known</c>), or nothing the
    /// embedded cluster runs serves behind it (<c>Connection refused</c>).
    /// </exception>
    public Uri Translate(Uri url, string searchNamespace)
    {
        ArgumentNullException.ThrowIfNull(url);
        if (!url.IsAbsoluteUri || !IsClusterName(url.Host, searchNamespace))
        {
            return url;
        }

        var name = Split(url.Host, searchNamespace)!.Value;
        if (_store.TryGet(Services, name.Namespace, name.Service) is null)
        {
            throw new HttpRequestException(HttpRequestError.NameResolutionError, $"Name or service not known ({url.Host}:{url.Port})", null);
        }

        if (Find(name.Namespace, name.Service) is not { } app)
        {
            throw new HttpRequestException(HttpRequestError.ConnectionError, $"Connection refused ({url.Host}:{url.Port})", new SocketException((int)SocketError.ConnectionRefused));
        }

        return new UriBuilder(url) { Scheme = app.Scheme, Host = app.Host, Port = app.Port }.Uri;
    }

    /// <summary>
    /// The pod network's step for Services with an app behind them: a pod's <c>curl</c> to
    /// <c>flagger-loadtester.test</c> or <c>prometheus.istio-system:9090</c> reaches that app over loopback HTTP.
    /// </summary>
    internal async Task<Pods.ClusterHttpResponse> ForwardAsync(Pods.ClusterHttpRequest request, Pods.ClusterHttpHandler next, CancellationToken cancellationToken)
    {
        if (Find(request.ServiceNamespace, request.ServiceName) is not { } app)
        {
            return await next(request, cancellationToken).ConfigureAwait(false);
        }

        using var message = new HttpRequestMessage(new HttpMethod(request.Method), new Uri(app, request.PathAndQuery));
        try
        {
            using var response = await PodHttp.SendAsync(message, cancellationToken).ConfigureAwait(false);
            return new Pods.ClusterHttpResponse
            {
                StatusCode = (int)response.StatusCode,
                Body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false),
                ContentType = response.Content.Headers.ContentType?.ToString() ?? "text/plain; charset=utf-8",
            };
        }
        catch (HttpRequestException e)
        {
            return Pods.ClusterHttpResponse.Refused(e.Message);
        }
    }

    /// <summary>The Service a cluster name points at, when the name is the cluster's and the Service exists.</summary>
    internal (string Namespace, string Service)? Service(string host, string searchNamespace) =>
        Split(host, searchNamespace) is { } name && _store.TryGet(Services, name.Namespace, name.Service) is not null
            ? (name.Namespace, name.Service)
            : null;

    private ResourceType Services => _store.Registry.Find("", "v1", "services")!;

    private static (string Service, string Namespace, bool Single)? Split(string host, string searchNamespace) =>
        host.TrimEnd('.').Split('.') switch
        {
            [var n] => (n, searchNamespace, true),
            [var n, var s] => (n, s, false),
            [var n, var s, "svc"] => (n, s, false),
            [var n, var s, "svc", "cluster", "local"] => (n, s, false),
            _ => null,
        };

    private sealed class Unregister(Action action) : IDisposable
    {
        public void Dispose() => action();
    }
}
