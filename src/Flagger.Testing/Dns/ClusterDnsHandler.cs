namespace Flagger.Testing.Dns;

/// <summary>
/// An <see cref="HttpClient"/> handler that resolves hosts as <see cref="ClusterDns"/> does: a request to
/// <c>http://prometheus.istio-system:9090/api/v1/query</c> is sent to the app serving behind that Service, with the
/// original <c>Host</c> header; other hosts go out unchanged. Plug it into the operator's clients in tests, the demo
/// and <c>serve</c>, never in production.
/// </summary>
/// <param name="dns">The cluster's DNS.</param>
/// <param name="searchNamespace">The namespace single-label names are looked up in (the operator's).</param>
public sealed class ClusterDnsHandler(ClusterDns dns, string searchNamespace) : DelegatingHandler
{
    /// <inheritdoc />
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.RequestUri is { IsAbsoluteUri: true } url)
        {
            var translated = dns.Translate(url, searchNamespace);
            if (!ReferenceEquals(translated, url))
            {
                request.Headers.Host ??= url.IsDefaultPort ? url.Host : url.Authority;
                request.RequestUri = translated;
            }
        }

        return base.SendAsync(request, cancellationToken);
    }
}
