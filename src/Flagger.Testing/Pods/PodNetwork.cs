using System.Text.Json.Nodes;
using Flagger.Testing.Storage;

namespace Flagger.Testing.Pods;

/// <summary>
/// The simulated pod network that <c>curl</c> in <c>kubectl exec</c> uses. A URL's host is resolved as cluster
/// DNS would from the calling pod's namespace (<c>svc</c>, <c>svc.ns</c>, <c>svc.ns.svc</c>,
/// <c>svc.ns.svc.cluster.local</c>); an unknown Service is "Could not resolve host". The request then runs
/// through the attached middleware, last attached first, and ends at the workload's own answer: podinfo's
/// endpoints when a ready pod behind the Service runs a podinfo image, a refused connection otherwise.
/// </summary>
/// <example>
/// A mesh counts every request and lets the workload answer:
/// <code>
/// using var attached = cluster.PodNetwork.Use(async (request, next, ct) =>
/// {
///     var response = await next(request, ct);
///     metrics.Record(request.ServiceNamespace, request.ServiceName, response.StatusCode);
///     return response;
/// });
/// </code>
/// </example>
public sealed class PodNetwork
{
    private readonly object _gate = new();
    private readonly List<ClusterHttpMiddleware> _middleware = [];
    private readonly ObjectStore _store;
    private readonly PodinfoHandler _podinfo;

    internal PodNetwork(ObjectStore store)
    {
        _store = store;
        _podinfo = new PodinfoHandler(store);
    }

    /// <summary>Commands added to the pods' shell (the mesh's <c>hey</c>).</summary>
    internal PodCommands Commands { get; } = new();

    internal ObjectStore Store => _store;

    /// <summary>Attaches a middleware step; it runs before every step attached earlier.</summary>
    /// <param name="middleware">The step.</param>
    /// <returns>Dispose to detach.</returns>
    public IDisposable Use(ClusterHttpMiddleware middleware)
    {
        ArgumentNullException.ThrowIfNull(middleware);
        lock (_gate)
        {
            _middleware.Add(middleware);
        }

        return new Detacher(() =>
        {
            lock (_gate)
            {
                _middleware.Remove(middleware);
            }
        });
    }

    /// <summary>
    /// Sends a request from a pod, as <c>curl</c> inside it would. Returns null when the host does not resolve.
    /// </summary>
    /// <param name="sourceNamespace">The calling pod's namespace (the DNS search domain).</param>
    /// <param name="sourcePod">The calling pod's name.</param>
    /// <param name="method">The HTTP method.</param>
    /// <param name="url">An <c>http://host[:port]/path</c> URL (the scheme may be left out).</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The response, or null when the host does not resolve to a Service.</returns>
    public async Task<ClusterHttpResponse?> SendAsync(string sourceNamespace, string sourcePod, string method, string url, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(url);
        var target = ParseUrl(url);
        if (target is null || Resolve(sourceNamespace, target.Value.Host) is not { } service)
        {
            return null;
        }

        var request = new ClusterHttpRequest(sourceNamespace, sourcePod, method, target.Value.Host, Meta.Namespace(service)!, Meta.Name(service), target.Value.Port, target.Value.Path);
        ClusterHttpMiddleware[] steps;
        lock (_gate)
        {
            steps = [.. _middleware];
        }

        ClusterHttpHandler pipeline = _podinfo.HandleAsync;
        foreach (var step in steps)
        {
            var next = pipeline;
            pipeline = (r, ct) => step(r, next, ct);
        }

        return await pipeline(request, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Splits <c>[http://]host[:port][/path]</c>; null when it is not such a URL.</summary>
    internal static (string Host, int Port, string Path)? ParseUrl(string url)
    {
        var text = url.Contains("://", StringComparison.Ordinal) ? url : "http://" + url;
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            return null;
        }

        return (uri.Host, uri.Port, uri.PathAndQuery);
    }

    /// <summary>Resolves a host the way a pod's resolv.conf search list would; null when no Service has that name.</summary>
    internal JsonObject? Resolve(string sourceNamespace, string host)
    {
        var services = _store.Registry.Find("", "v1", "services")!;
        var parts = host.TrimEnd('.').Split('.');
        var (name, ns) = parts switch
        {
            [var n] => (n, sourceNamespace),
            [var n, var s] => (n, s),
            [var n, var s, "svc"] => (n, s),
            [var n, var s, "svc", "cluster", "local"] => (n, s),
            _ => (null, null),
        };
        return name is null ? null : _store.TryGet(services, ns, name);
    }

    private sealed class Detacher(Action detach) : IDisposable
    {
        public void Dispose() => detach();
    }
}
