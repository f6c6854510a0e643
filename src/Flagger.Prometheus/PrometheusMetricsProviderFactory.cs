using System.Net.Http.Headers;
using System.Text;
using Flagger.Metrics;
using Flagger.Providers;
using Microsoft.Extensions.Options;

namespace Flagger.Prometheus;

/// <summary>
/// Creates a <see cref="PrometheusMetricsProvider"/> per address and Secret. The engine asks for a fresh one on
/// every tick (the Secret may have rotated); the HTTP connections behind it are pooled by <see cref="IHttpClientFactory"/>.
/// </summary>
internal sealed class PrometheusMetricsProviderFactory(IHttpClientFactory clients, IOptions<PrometheusOptions> options, TimeProvider time)
    : IMetricsProviderFactory
{
    /// <summary>The provider type users write in <c>MetricTemplate.spec.provider.type</c>.</summary>
    public const string Type = "prometheus";

    /// <summary>The named HttpClient for servers with verified TLS.</summary>
    public const string ClientName = "flagger-prometheus";

    /// <summary>The named HttpClient for <c>insecureSkipVerify: true</c>.</summary>
    public const string InsecureClientName = "flagger-prometheus-insecure";

    public IMetricsProvider Create(MetricsProviderSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (!Uri.TryCreate(settings.Address, UriKind.Absolute, out var address) || (address.Scheme != Uri.UriSchemeHttp && address.Scheme != Uri.UriSchemeHttps))
        {
            return new MisconfiguredMetricsProvider($"prometheus address '{SecretText.Address(settings.Address)}' is not an absolute http(s) URL");
        }

        AuthenticationHeaderValue? authorization = null;
        if (settings.Credentials is { Count: > 0 } credentials)
        {
            if (credentials.TryGetValue("token", out var token) && !string.IsNullOrEmpty(token))
            {
                authorization = new AuthenticationHeaderValue("Bearer", token);
            }
            else if (credentials.TryGetValue("username", out var user) && !string.IsNullOrEmpty(user)
                && credentials.TryGetValue("password", out var password) && !string.IsNullOrEmpty(password))
            {
                authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));
            }
            else
            {
                return new MisconfiguredMetricsProvider("prometheus credentials Secret must contain 'token', or 'username' and 'password'");
            }
        }

        var http = clients.CreateClient(settings.InsecureSkipVerify ? InsecureClientName : ClientName);
        return new PrometheusMetricsProvider(http, address, authorization, settings.Headers, options.Value.Timeout, time);
    }
}
