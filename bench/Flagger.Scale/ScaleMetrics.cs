using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Flagger.Metrics;

namespace Flagger.Scale;

/// <summary>
/// The metrics backend of the harness, in process: every workload is healthy except those marked failing, whose
/// success rate is 50 %. It remembers when each failing workload's checks failed, which is where the rollback
/// time starts. Cheap on purpose: the harness measures the operator, not a metrics pipeline.
/// </summary>
public sealed partial class ScaleMetrics : IMetricsProviderFactory, IMetricsProvider
{
    private readonly TimeProvider time;
    private readonly ConcurrentDictionary<string, ConcurrentQueue<long>> failures = new(StringComparer.Ordinal);

    public ScaleMetrics(TimeProvider time) => this.time = time;

    /// <summary>Makes <paramref name="target"/>'s success rate 50 % from now on.</summary>
    public void Fail(string target) => failures.TryAdd(target, new ConcurrentQueue<long>());

    /// <summary>Timestamps (of <see cref="TimeProvider.GetTimestamp"/>) of the failed success-rate checks of <paramref name="target"/>.</summary>
    public IReadOnlyList<long> FailedChecks(string target) => failures.TryGetValue(target, out var q) ? [.. q] : [];

    public IMetricsProvider Create(MetricsProviderSettings settings) => this;

    public Task<ProviderHealth> CheckHealthAsync(CancellationToken cancellationToken) => Task.FromResult(ProviderHealth.Online);

    public Task<MetricQueryResult> RunQueryAsync(string query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var successRate = query.Contains("response_code!~", StringComparison.Ordinal);
        if (!successRate)
        {
            return Task.FromResult(MetricQueryResult.Of(20)); // request-duration, ms
        }

        var target = Workload().Match(query) is { Success: true } m ? m.Groups[1].Value : "";
        if (failures.TryGetValue(target, out var failed))
        {
            failed.Enqueue(time.GetTimestamp());
            return Task.FromResult(MetricQueryResult.Of(50));
        }

        return Task.FromResult(MetricQueryResult.Of(100));
    }

    [GeneratedRegex("destination_workload=~\"([^\"]+)\"")]
    private static partial Regex Workload();
}
