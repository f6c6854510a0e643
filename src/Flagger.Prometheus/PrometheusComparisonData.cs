using System.Globalization;
using System.Text.Json;
using Flagger.Metrics;

namespace Flagger.Prometheus;

/// <summary>
/// Both sides of a comparison from Prometheus: the increase of Istio's request counter (<c>istio_requests_total</c>,
/// 5xx responses as failures) and duration histogram (<c>istio_request_duration_milliseconds_bucket</c>) per workload
/// over the window, as the destination reports them; and range queries (<c>/api/v1/query_range</c>) for a query
/// rendered once for each side.
/// </summary>
internal sealed partial class PrometheusMetricsProvider
{
    /// <summary>The mesh whose telemetry names the request counter and duration histogram read here.</summary>
    public const string IstioMesh = "istio";

    /// <inheritdoc />
    public async Task<ComparisonReading<RequestCounts>> ReadRequestCountsAsync(WorkloadPair workloads, ComparisonWindow window, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(workloads);
        if (Unsupported(workloads) is { } unsupported)
        {
            return ComparisonReading.Failed<RequestCounts>(unsupported);
        }

        var selector = Selector(workloads);
        var range = Range(window);
        var all = await VectorAsync($"sum by (destination_workload) (increase(istio_requests_total{{{selector}}}[{range}]))", window.End, cancellationToken).ConfigureAwait(false);
        if (all.Failure is { } failed)
        {
            return ComparisonReading.Failed<RequestCounts>(failed);
        }

        var errors = await VectorAsync($"sum by (destination_workload) (increase(istio_requests_total{{{selector},response_code=~\"5..\"}}[{range}]))", window.End, cancellationToken).ConfigureAwait(false);
        if (errors.Failure is { } errorsFailed)
        {
            return ComparisonReading.Failed<RequestCounts>(errorsFailed);
        }

        RequestCounts? Side(string workload) =>
            Single(all.Samples, workload) is { } requests && requests > 0
                ? new RequestCounts((long)Math.Round(requests), (long)Math.Round(Math.Min(requests, Single(errors.Samples, workload) ?? 0)))
                : null;

        var canary = Side(workloads.Canary);
        var primary = Side(workloads.Primary);
        return canary is null || primary is null
            ? ComparisonReading.NoValues<RequestCounts>($"no requests to {(canary is null ? workloads.Canary : workloads.Primary)}.{workloads.Namespace} in the last {range}")
            : ComparisonReading.Of(canary.Value, primary.Value);
    }

    /// <inheritdoc />
    public async Task<ComparisonReading<LatencyHistogram>> ReadLatencyHistogramsAsync(WorkloadPair workloads, ComparisonWindow window, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(workloads);
        if (Unsupported(workloads) is { } unsupported)
        {
            return ComparisonReading.Failed<LatencyHistogram>(unsupported);
        }

        var range = Range(window);
        var buckets = await VectorAsync($"sum by (destination_workload, le) (increase(istio_request_duration_milliseconds_bucket{{{Selector(workloads)}}}[{range}]))", window.End, cancellationToken).ConfigureAwait(false);
        if (buckets.Failure is { } failed)
        {
            return ComparisonReading.Failed<LatencyHistogram>(failed);
        }

        var canary = Histogram(buckets.Samples, workloads.Canary);
        var primary = Histogram(buckets.Samples, workloads.Primary);
        if (canary is null || primary is null)
        {
            return ComparisonReading.NoValues<LatencyHistogram>($"no request durations of {(canary is null ? workloads.Canary : workloads.Primary)}.{workloads.Namespace} in the last {range}");
        }

        return canary.UpperBounds.SequenceEqual(primary.UpperBounds)
            ? ComparisonReading.Of(canary, primary)
            : ComparisonReading.Failed<LatencyHistogram>($"the duration buckets of {workloads.Canary} and {workloads.Primary} differ; both sides need the same bucket bounds");
    }

    /// <inheritdoc />
    public async Task<ComparisonReading<IReadOnlyList<double>>> ReadSamplesAsync(string canaryQuery, string primaryQuery, ComparisonWindow window, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(canaryQuery);
        ArgumentNullException.ThrowIfNull(primaryQuery);
        var canary = await RangeAsync(canaryQuery, window, cancellationToken).ConfigureAwait(false);
        if (canary.Failure is { } canaryFailed)
        {
            return ComparisonReading.Failed<IReadOnlyList<double>>($"canary: {canaryFailed}");
        }

        var primary = await RangeAsync(primaryQuery, window, cancellationToken).ConfigureAwait(false);
        if (primary.Failure is { } primaryFailed)
        {
            return ComparisonReading.Failed<IReadOnlyList<double>>($"primary: {primaryFailed}");
        }

        return canary.Values.Count == 0 || primary.Values.Count == 0
            ? ComparisonReading.NoValues<IReadOnlyList<double>>($"{NoValuesFound} for the {(canary.Values.Count == 0 ? "canary" : "primary")} between {Time(window.Start)} and {Time(window.End)}")
            : ComparisonReading.Of(canary.Values, primary.Values);
    }

    private static string? Unsupported(WorkloadPair workloads) =>
        workloads.Mesh == IstioMesh
            ? null
            : $"the Prometheus provider reads Istio's request telemetry for comparisons; mesh provider '{workloads.Mesh}' is not supported (judge a template metric with mann-whitney instead)";

    private static string Selector(WorkloadPair workloads) =>
        $"reporter=\"destination\",destination_workload_namespace=\"{Escape(workloads.Namespace)}\",destination_workload=~\"{Escape(workloads.Canary)}|{Escape(workloads.Primary)}\"";

    private static string Escape(string value) => value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal);

    // A PromQL range of whole seconds covering the window (at least one second).
    private static string Range(ComparisonWindow window) =>
        string.Create(CultureInfo.InvariantCulture, $"{Math.Max(1, (long)Math.Round(window.Length.TotalSeconds))}s");

    private static string Time(DateTimeOffset time) =>
        (time.ToUnixTimeMilliseconds() / 1000.0).ToString("0.###", CultureInfo.InvariantCulture);

    private static double? Single(IReadOnlyList<(IReadOnlyDictionary<string, string> Labels, double Value)> samples, string workload)
    {
        double? sum = null;
        foreach (var (labels, value) in samples)
        {
            if (labels.TryGetValue("destination_workload", out var w) && w == workload && double.IsFinite(value))
            {
                sum = (sum ?? 0) + value;
            }
        }

        return sum;
    }

    private static LatencyHistogram? Histogram(IReadOnlyList<(IReadOnlyDictionary<string, string> Labels, double Value)> samples, string workload)
    {
        var buckets = new SortedDictionary<double, double>();
        foreach (var (labels, value) in samples)
        {
            if (labels.TryGetValue("destination_workload", out var w) && w == workload && labels.TryGetValue("le", out var le)
                && Bound(le) is { } bound && double.IsFinite(value))
            {
                buckets[bound] = value;
            }
        }

        if (!buckets.TryGetValue(double.PositiveInfinity, out var total) || total <= 0)
        {
            return null;
        }

        // increase() extrapolates each bucket on its own: round, and keep the counts cumulative.
        var bounds = new List<double>(buckets.Count);
        var counts = new List<long>(buckets.Count);
        long previous = 0;
        foreach (var (bound, value) in buckets)
        {
            previous = Math.Max(previous, (long)Math.Round(value));
            bounds.Add(bound);
            counts.Add(previous);
        }

        return new LatencyHistogram(bounds, counts);
    }

    private static double? Bound(string le) =>
        le == "+Inf" ? double.PositiveInfinity
        : double.TryParse(le, NumberStyles.Float, CultureInfo.InvariantCulture, out var bound) ? bound : null;

    private async Task<(IReadOnlyList<(IReadOnlyDictionary<string, string> Labels, double Value)> Samples, string? Failure)> VectorAsync(string query, DateTimeOffset at, CancellationToken cancellationToken)
    {
        var (body, failure) = await GetAsync(ApiUri($"api/v1/query?query={Uri.EscapeDataString(query)}&time={Time(at)}"), cancellationToken).ConfigureAwait(false);
        if (failure is not null)
        {
            return ([], failure);
        }

        try
        {
            using var document = JsonDocument.Parse(body!);
            var root = document.RootElement;
            if (ReadError(root) is { } error)
            {
                return ([], Redact(error));
            }

            var data = root.GetProperty("data");
            if (data.GetProperty("resultType").GetString() != "vector")
            {
                return ([], $"unsupported result type '{data.GetProperty("resultType").GetString()}' for {query}");
            }

            var samples = new List<(IReadOnlyDictionary<string, string>, double)>();
            foreach (var series in data.GetProperty("result").EnumerateArray())
            {
                samples.Add((Labels(series), Value(series.GetProperty("value"))));
            }

            return (samples, null);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            return ([], $"error unmarshaling result: {e.Message}, '{Shorten(Redact(body!))}'");
        }
    }

    private async Task<(IReadOnlyList<double> Values, string? Failure)> RangeAsync(string query, ComparisonWindow window, CancellationToken cancellationToken)
    {
        var step = Math.Max(1, window.Step.TotalSeconds).ToString("0.###", CultureInfo.InvariantCulture);
        var uri = ApiUri($"api/v1/query_range?query={Uri.EscapeDataString(CollapseWhitespace(query))}&start={Time(window.Start)}&end={Time(window.End)}&step={step}");
        var (body, failure) = await GetAsync(uri, cancellationToken).ConfigureAwait(false);
        if (failure is not null)
        {
            return ([], failure);
        }

        try
        {
            using var document = JsonDocument.Parse(body!);
            var root = document.RootElement;
            if (ReadError(root) is { } error)
            {
                return ([], Redact(error));
            }

            var result = root.GetProperty("data").GetProperty("result");
            switch (result.GetArrayLength())
            {
                case 0:
                    return ([], null);
                case > 1:
                    return ([], $"multiple values returned: the query matched {result.GetArrayLength()} series; aggregate it to one, for example with sum(...)");
            }

            var values = new List<double>();
            foreach (var pair in result[0].GetProperty("values").EnumerateArray())
            {
                var value = Value(pair);
                if (double.IsFinite(value))
                {
                    values.Add(value);
                }
            }

            return (values, null);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            return ([], $"error unmarshaling result: {e.Message}, '{Shorten(Redact(body!))}'");
        }
    }

    private static Dictionary<string, string> Labels(JsonElement series)
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        if (series.TryGetProperty("metric", out var metric))
        {
            foreach (var label in metric.EnumerateObject())
            {
                labels[label.Name] = label.Value.GetString() ?? string.Empty;
            }
        }

        return labels;
    }

    // A sample is [unix time, "value"]; NaN and ±Inf come as strings too.
    private static double Value(JsonElement pair)
    {
        var text = pair[1].GetString();
        return text switch
        {
            "+Inf" => double.PositiveInfinity,
            "-Inf" => double.NegativeInfinity,
            _ => double.Parse(text!, NumberStyles.Float, CultureInfo.InvariantCulture),
        };
    }
}
