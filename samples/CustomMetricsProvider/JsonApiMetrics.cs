using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using Flagger.Metrics;

namespace CustomMetricsProvider;

/// <summary>
/// MetricTemplates with <c>spec.provider.type: json-api</c> ask a team's own metrics service:
/// <c>GET {address}/query?q={rendered query}</c> answering <c>{"value": 99.2}</c>, or <c>{"value": null}</c> when
/// there is no data. Registered by <c>flagger.AddProvidersFrom(typeof(JsonApiMetrics).Assembly)</c>, which finds
/// the class through the port it implements and the name it declares in <see cref="ProviderName"/>.
/// </summary>
public sealed class JsonApiMetrics : IMetricsProviderFactory, IDisposable
{
    /// <summary>The type users write in a MetricTemplate's <c>spec.provider.type</c>.</summary>
    public const string ProviderName = "json-api";

    // One client for every template: connections are pooled and the handler recycles them.
    private readonly HttpClient http = new() { Timeout = TimeSpan.FromSeconds(5) };

    /// <inheritdoc />
    public IMetricsProvider Create(MetricsProviderSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return Uri.TryCreate(settings.Address, UriKind.Absolute, out var address)
            ? new Client(http, address, settings.Credentials?.GetValueOrDefault("token"))
            : throw new ArgumentException($"spec.provider.address: the json-api provider needs an absolute address, got '{settings.Address}'", nameof(settings));
    }

    /// <inheritdoc />
    public void Dispose() => http.Dispose();

    private sealed class Client(HttpClient http, Uri address, string? token) : IMetricsProvider
    {
        public async Task<MetricQueryResult> RunQueryAsync(string query, CancellationToken cancellationToken)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(address, $"query?q={Uri.EscapeDataString(query)}"));
            if (token is not null)
            {
                request.Headers.Authorization = new("Bearer", token);
            }

            try
            {
                using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
                if (!response.IsSuccessStatusCode)
                {
                    // The backend's own words become the event text users read.
                    return MetricQueryResult.Failed($"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false)}");
                }

                var answer = await response.Content.ReadFromJsonAsync<Answer>(cancellationToken).ConfigureAwait(false);
                return answer?.Value is { } value && double.IsFinite(value) ? MetricQueryResult.Of(value) : MetricQueryResult.NoValues($"no value for '{query}'");
            }
            catch (Exception e) when (e is HttpRequestException or JsonException || (e is TaskCanceledException && !cancellationToken.IsCancellationRequested))
            {
                // An unreachable backend, a timeout or a body that is not the expected JSON: the check fails and says
                // why. (The engine counts a provider that throws as failed too, but a result keeps the words ours.)
                return MetricQueryResult.Failed(e.Message);
            }
        }

        public async Task<ProviderHealth> CheckHealthAsync(CancellationToken cancellationToken)
        {
            try
            {
                using var response = await http.GetAsync(new Uri(address, "healthz"), cancellationToken).ConfigureAwait(false);
                return response.IsSuccessStatusCode ? ProviderHealth.Online : new ProviderHealth(false, $"healthz answered {(int)response.StatusCode}");
            }
            catch (HttpRequestException e)
            {
                return new ProviderHealth(false, e.Message);
            }
        }
    }

    private sealed record Answer([property: JsonPropertyName("value")] double? Value);
}
