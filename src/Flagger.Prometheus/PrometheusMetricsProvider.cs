using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.RegularExpressions;
using Flagger.Metrics;
using Flagger.Providers;

namespace Flagger.Prometheus;

/// <summary>
/// Runs instant queries against one Prometheus server through its HTTP API (<c>GET /api/v1/query</c>).
/// A query must come back as exactly one sample; anything else is a reason the canary can act on.
/// </summary>
internal sealed partial class PrometheusMetricsProvider(
    HttpClient http,
    Uri address,
    AuthenticationHeaderValue? authorization,
    IReadOnlyDictionary<string, IReadOnlyList<string>>? headers,
    TimeSpan timeout,
    TimeProvider time) : IMetricsProvider, IComparisonDataProvider
{
    /// <summary>Flagger's text for an empty or NaN result; the engine prefixes it with the workload hint.</summary>
    public const string NoValuesFound = "running query failed: no values found";

    // How messages name the server: without user info or query values, which may be credentials.
    private readonly string shown = SecretText.Address(address.AbsoluteUri);

    /// <summary>Collapses every whitespace run to one space, as Flagger does before sending.</summary>
    public static string CollapseWhitespace(string query) => Whitespace().Replace(query, " ").Trim();

    /// <inheritdoc />
    public async Task<MetricQueryResult> RunQueryAsync(string query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var (body, failure) = await GetAsync(QueryUri(address, CollapseWhitespace(query)), cancellationToken).ConfigureAwait(false);
        if (failure is not null)
        {
            return MetricQueryResult.Failed(failure);
        }

        // An answer that is not Prometheus' (a login page, a proxy's echo of the request) is quoted in the error,
        // so it is redacted like any other answer.
        var parsed = Parse(body!);
        return parsed.Outcome == MetricQueryOutcome.Failed ? MetricQueryResult.Failed(Redact(parsed.Error ?? string.Empty)) : parsed;
    }

    // An HTTP API address on this server, such as api/v1/query_range?query=...
    private Uri ApiUri(string pathAndQuery) => new($"{address.AbsoluteUri.TrimEnd('/')}/{pathAndQuery}");

    // One GET of the HTTP API: the body, or why there is none (redacted).
    private async Task<(string? Body, string? Failure)> GetAsync(Uri uri, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, uri);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        request.Headers.Authorization = authorization;
        foreach (var (name, values) in headers ?? new Dictionary<string, IReadOnlyList<string>>())
        {
            request.Headers.TryAddWithoutValidation(name, values);
        }

        // The per-query timeout is ours, not the shared HttpClient's, so a caller's cancellation stays distinguishable.
        using var deadline = new CancellationTokenSource(timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, linked.Token).ConfigureAwait(false);
            var body = await response.Content.ReadAsStringAsync(linked.Token).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode && ReadError(body) is null)
            {
                return (null, $"{shown} answered {(int)response.StatusCode} {response.ReasonPhrase}: {Shorten(Redact(body))}");
            }

            return (body, null);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return (null, $"no answer from {shown} within {timeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)}s");
        }
        catch (HttpRequestException e)
        {
            return (null, $"request to {shown} failed: {Redact(e.Message)}");
        }
    }

    /// <inheritdoc />
    public async Task<ProviderHealth> CheckHealthAsync(CancellationToken cancellationToken)
    {
        var result = await RunQueryAsync("vector(1)", cancellationToken).ConfigureAwait(false);
        return result switch
        {
            { Outcome: MetricQueryOutcome.Value, Value: 1 } => ProviderHealth.Online,
            { Outcome: MetricQueryOutcome.Value } => new ProviderHealth(false, $"vector(1) returned {result.Value.ToString(CultureInfo.InvariantCulture)} from {shown}"),
            _ => new ProviderHealth(false, result.Error ?? NoValuesFound),
        };
    }

    /// <summary>Reads a Prometheus API answer: one sample is a value, none or NaN is "no values", more is an error.</summary>
    internal static MetricQueryResult Parse(string body)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body);
        }
        catch (JsonException e)
        {
            return MetricQueryResult.Failed($"error unmarshaling result: {e.Message}, '{Shorten(body)}'");
        }

        using (document)
        {
            var root = document.RootElement;
            if (ReadError(root) is { } error)
            {
                return MetricQueryResult.Failed(error);
            }

            if (!root.TryGetProperty("data", out var data) || !data.TryGetProperty("result", out var result))
            {
                return MetricQueryResult.Failed($"error unmarshaling result: no data.result in '{Shorten(body)}'");
            }

            var type = data.TryGetProperty("resultType", out var t) ? t.GetString() : null;
            return type switch
            {
                "scalar" => Sample(result),
                "vector" => result.GetArrayLength() switch
                {
                    0 => MetricQueryResult.NoValues(NoValuesFound),
                    1 => Sample(result[0].GetProperty("value")),
                    var n => MetricQueryResult.Failed($"multiple values returned: the query matched {n} series; aggregate it to one, for example with sum(...)"),
                },
                "matrix" => MetricQueryResult.Failed("multiple values returned: the query returned a range vector; use an instant vector"),
                _ => MetricQueryResult.Failed($"unsupported result type '{type}'; the query must return one number"),
            };
        }
    }

    // A server, or a proxy in front of it, may echo the request in its error page: never pass the credentials on.
    private string Redact(string text) =>
        SecretText.Redact(text, (headers?.Values.SelectMany(v => v) ?? []).Append(authorization?.Parameter).Concat(SecretText.SecretsOf(address.AbsoluteUri)));

    internal static Uri QueryUri(Uri address, string query) =>
        new($"{address.AbsoluteUri.TrimEnd('/')}/api/v1/query?query={Uri.EscapeDataString(query)}");

    private static MetricQueryResult Sample(JsonElement pair)
    {
        // A sample is [unix time, "value"]; the value is a string so that NaN and ±Inf survive JSON.
        if (pair.ValueKind != JsonValueKind.Array || pair.GetArrayLength() != 2 || pair[1].ValueKind != JsonValueKind.String)
        {
            return MetricQueryResult.Failed($"error unmarshaling result: unexpected sample {pair.GetRawText()}");
        }

        var text = pair[1].GetString();
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
        {
            return text switch
            {
                "+Inf" => MetricQueryResult.Of(double.PositiveInfinity),
                "-Inf" => MetricQueryResult.Of(double.NegativeInfinity),
                _ => MetricQueryResult.Failed($"error parsing sample value '{text}'"),
            };
        }

        return double.IsNaN(value) ? MetricQueryResult.NoValues($"{NoValuesFound} (NaN)") : MetricQueryResult.Of(value);
    }

    private static string? ReadError(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            return ReadError(document.RootElement);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string? ReadError(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("status", out var status) || status.GetString() != "error")
        {
            return null;
        }

        var type = root.TryGetProperty("errorType", out var t) ? t.GetString() : null;
        var error = root.TryGetProperty("error", out var e) ? e.GetString() : null;
        return string.IsNullOrEmpty(type) ? error ?? "unknown Prometheus error" : $"{type}: {error}";
    }

    private static string Shorten(string text) => text.Length <= 512 ? text.Trim() : string.Concat(text.AsSpan(0, 512), "…");

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}
