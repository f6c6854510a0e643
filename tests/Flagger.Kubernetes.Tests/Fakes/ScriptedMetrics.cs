using Flagger.Metrics;

namespace Flagger.Fakes;

/// <summary>
/// A metrics backend whose answers the test scripts: the builtin success-rate and duration queries are told
/// apart by the series they read; any other query answers <see cref="Custom"/>.
/// </summary>
public sealed class ScriptedMetrics : IMetricsProviderFactory, IMetricsProvider
{
    private readonly Queue<double?> successRates = new();

    public List<string> Queries { get; } = [];

    public List<MetricsProviderSettings> Created { get; } = [];

    /// <summary>Success rate returned once the scripted values are used up (null: no values).</summary>
    public double? SuccessRate { get; set; } = 100;

    /// <summary>P99 duration in milliseconds.</summary>
    public double? DurationMilliseconds { get; set; } = 120;

    /// <summary>Value of any other query.</summary>
    public MetricQueryResult Custom { get; set; } = MetricQueryResult.Of(1);

    public ProviderHealth Health { get; set; } = ProviderHealth.Online;

    /// <summary>Success rates returned one per query, in order, before <see cref="SuccessRate"/>.</summary>
    public void ScriptSuccessRates(params double?[] values)
    {
        foreach (var value in values)
        {
            successRates.Enqueue(value);
        }
    }

    public IMetricsProvider Create(MetricsProviderSettings settings)
    {
        Created.Add(settings);
        return this;
    }

    public Task<MetricQueryResult> RunQueryAsync(string query, CancellationToken cancellationToken)
    {
        Queries.Add(query);
        if (query.Contains("istio_requests_total", StringComparison.Ordinal) || query.Contains("http_request_duration_seconds_count", StringComparison.Ordinal))
        {
            var value = successRates.Count > 0 ? successRates.Dequeue() : SuccessRate;
            return Task.FromResult(value is { } rate ? MetricQueryResult.Of(rate) : MetricQueryResult.NoValues());
        }

        if (query.Contains("istio_request_duration_milliseconds_bucket", StringComparison.Ordinal) || query.Contains("http_request_duration_seconds_bucket", StringComparison.Ordinal))
        {
            return Task.FromResult(DurationMilliseconds is { } ms ? MetricQueryResult.Of(ms) : MetricQueryResult.NoValues());
        }

        return Task.FromResult(Custom);
    }

    public Task<ProviderHealth> CheckHealthAsync(CancellationToken cancellationToken) => Task.FromResult(Health);
}
