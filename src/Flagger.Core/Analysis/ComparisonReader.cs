using Flagger.Analysis.Judges;
using Flagger.Events;
using Flagger.Metrics;
using Flagger.Model;
using Flagger.Providers;

namespace Flagger.Analysis;

/// <summary>
/// Reads both sides of a metric judged against the primary, through <see cref="IComparisonDataProvider"/>: request
/// counts or duration histograms for the sequential test (the increase since the metric's previous check, which the
/// decision adds to the evidence in the status), per-interval samples for Mann-Whitney (since the run's first check).
/// Reads only; the judges run in the decision.
/// </summary>
internal sealed class ComparisonReader(FailureDescriber describer)
{
    // Samples for Mann-Whitney come one per step; a window longer than this many steps is sampled more sparsely.
    private const int MaxSamples = 120;

    /// <summary>Reads the metric's two sides and records what was read; returns the failed check when the read failed.</summary>
    public async Task<CanaryEvent?> ReadAsync(Observation o, CanaryMetric metric, IMetricsProvider provider, string queryTemplate, List<MetricCheck> checks, CancellationToken cancellationToken)
    {
        var comparison = metric.Comparison!;
        var previous = Previous(o.Status, metric.Name);
        var interval = GoDuration.TryParse(metric.GetInterval(), out var i) && i > TimeSpan.Zero ? i : TimeSpan.FromMinutes(1);
        var weight = (o.Routes?.CanaryWeight ?? 0) / 100.0;
        var sequential = comparison.IsSequential();
        var start = sequential
            ? previous?.LastCheckTime is { } last && last < o.Now && o.Now - last <= 4 * o.Interval + interval ? last : o.Now - interval
            : previous?.Since is { } since && since < o.Now ? since : o.Now - Max(interval, o.Interval);
        var step = sequential ? interval : Max(interval, (o.Now - start) / MaxSamples);
        var window = new ComparisonWindow(start, o.Now, step);
        var read = new ComparisonRead(MetricQueryOutcome.Value, null, window, weight);

        if (provider is not IComparisonDataProvider data)
        {
            return Failed(checks, metric, read, $"the metrics provider {provider.GetType().Name} cannot read a comparison (it does not implement {nameof(IComparisonDataProvider)})");
        }

        try
        {
            if (!sequential)
            {
                var variables = MetricQueryVariables.For(o.Canary, metric);
                var canaryQuery = MetricQueryRenderer.Render(queryTemplate, variables);
                var primaryQuery = MetricQueryRenderer.Render(queryTemplate, variables with { Target = $"{variables.Target}-primary" });
                if (!canaryQuery.Succeeded || !primaryQuery.Succeeded)
                {
                    return Failed(checks, metric, read, canaryQuery.Error ?? primaryQuery.Error ?? "the query could not be rendered");
                }

                var samples = await data.ReadSamplesAsync(canaryQuery.Query!, primaryQuery.Query!, window, cancellationToken).ConfigureAwait(false);
                return Record(checks, metric, read with { Samples = samples }, samples.Outcome, samples.Error);
            }

            var workloads = new WorkloadPair(o.Ports.Provider, o.Canary.Namespace, o.Canary.GetTargetName(), $"{o.Canary.GetTargetName()}-primary");
            if (metric.Name == BuiltinMetrics.RequestDuration)
            {
                var histograms = await data.ReadLatencyHistogramsAsync(workloads, window, cancellationToken).ConfigureAwait(false);
                return Record(checks, metric, read with { Histograms = histograms }, histograms.Outcome, histograms.Error);
            }

            var counts = await data.ReadRequestCountsAsync(workloads, window, cancellationToken).ConfigureAwait(false);
            return Record(checks, metric, read with { Counts = counts }, counts.Outcome, counts.Error);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            return Failed(checks, metric, read, $"{provider.GetType().Name} threw {e.GetType().Name}: {describer.Describe(e)}");
        }
    }

    /// <summary>The metric's entry in the status, or null.</summary>
    public static CanaryMetricStatus? Previous(CanaryStatus status, string? name)
    {
        if (status.Metrics is not { } metrics)
        {
            return null;
        }

        for (var i = 0; i < metrics.Count; i++)
        {
            if (metrics[i].Name == name)
            {
                return metrics[i];
            }
        }

        return null;
    }

    private static CanaryEvent? Record(List<MetricCheck> checks, CanaryMetric metric, ComparisonRead read, MetricQueryOutcome outcome, string? error)
    {
        if (outcome == MetricQueryOutcome.Failed)
        {
            return Failed(checks, metric, read, error ?? "the comparison read failed");
        }

        checks.Add(new MetricCheck(metric, null, null, null, read with { Outcome = outcome, Error = error }));
        return null;
    }

    private static CanaryEvent Failed(List<MetricCheck> checks, CanaryMetric metric, ComparisonRead read, string error)
    {
        var failed = new CanaryEvent(EventSeverity.Error, $"Metric query failed for {metric.Name}: {error}");
        checks.Add(new MetricCheck(metric, MetricReader.Failed, null, failed.Message, read with { Outcome = MetricQueryOutcome.Failed, Error = error }));
        return failed;
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}
