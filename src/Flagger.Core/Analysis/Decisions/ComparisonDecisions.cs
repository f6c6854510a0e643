using System.Globalization;
using Flagger.Analysis.Judges;
using Flagger.Events;
using Flagger.Metrics;
using Flagger.Model;

namespace Flagger.Analysis.Decisions;

/// <summary>
/// Turns one tick's metric checks into <c>status.metrics</c>: a threshold check is recorded as the reader judged it;
/// a comparison is judged here, its evidence (request counts or histogram buckets, which accumulate across steps)
/// carried over from the status. Pure: the same status and reading give the same verdicts.
/// </summary>
internal static class ComparisonDecisions
{
    /// <summary>The <c>method</c> recorded for a metric judged by its threshold.</summary>
    public const string Threshold = "threshold";

    /// <summary>What the checks concluded.</summary>
    /// <param name="Metrics">The new <c>status.metrics</c> (metrics not checked this tick keep their entry).</param>
    /// <param name="Failure">The first comparison that failed, as a failed-check event, or null.</param>
    /// <param name="Inconclusive">The comparisons that could not tell yet, named with their reasons, or null when none.</param>
    public readonly record struct Outcome(IReadOnlyList<CanaryMetricStatus> Metrics, CanaryEvent? Failure, string? Inconclusive);

    /// <summary>Records the checks of this tick and judges the comparisons among them.</summary>
    public static Outcome Judge(in Observation o, CanaryStatus status, MetricsReading reading)
    {
        var previous = status.Metrics ?? [];
        var checks = reading.Checks;
        var next = new List<CanaryMetricStatus>(Math.Max(previous.Count, checks.Count));
        CanaryEvent? failure = null;
        List<string>? inconclusive = null;
        foreach (var metric in o.Analysis?.Metrics ?? [])
        {
            var before = ComparisonReader.Previous(status, metric.Name);
            var check = Find(checks, metric);
            if (check is null)
            {
                if (before is not null)
                {
                    next.Add(before);
                }

                continue;
            }

            if (check.Comparison is not { } read)
            {
                next.Add(Recorded(before, metric, Threshold, check.Verdict!, check.Value, check.Message, o.Now));
                continue;
            }

            var entry = JudgeComparison(o, metric, before, read, check);
            next.Add(entry);
            if (entry.Verdict == nameof(Verdict.Fail) && failure is null)
            {
                failure = new CanaryEvent(EventSeverity.Warning, $"Halt {o.Canary.Id} advancement {metric.Name} {entry.Message}");
            }
            else if (entry.Verdict == nameof(Verdict.Inconclusive))
            {
                (inconclusive ??= []).Add($"{metric.Name}: {entry.Message}");
            }
        }

        return new Outcome(next, failure, inconclusive is null ? null : string.Join("; ", inconclusive));
    }

    private static MetricCheck? Find(IReadOnlyList<MetricCheck> checks, CanaryMetric metric)
    {
        for (var i = 0; i < checks.Count; i++)
        {
            if (ReferenceEquals(checks[i].Metric, metric))
            {
                return checks[i];
            }
        }

        return null;
    }

    private static CanaryMetricStatus Recorded(CanaryMetricStatus? before, CanaryMetric metric, string method, string verdict, double? value, string? message, DateTimeOffset now) =>
        (before is not null && before.Method == method ? before : new CanaryMetricStatus { Name = metric.Name, Method = method }) with
        {
            Verdict = verdict,
            Value = value,
            Message = message,
            LastCheckTime = now,
            History = value is { } v ? Append(before?.History, v) : before?.History,
        };

    private static CanaryMetricStatus JudgeComparison(in Observation o, CanaryMetric metric, CanaryMetricStatus? before, ComparisonRead read, MetricCheck check)
    {
        var comparison = metric.Comparison!;
        var method = comparison.IsSequential() ? ComparisonMethods.Sequential : ComparisonMethods.MannWhitney;
        var start = before is not null && before.Method == method ? before : new CanaryMetricStatus { Name = metric.Name, Method = method };
        start = start with { Since = start.Since ?? read.Window.Start };
        if (read.Outcome == MetricQueryOutcome.Failed)
        {
            return Recorded(start, metric, method, MetricReader.Failed, null, check.Message, o.Now);
        }

        if (read.Outcome == MetricQueryOutcome.NoValues)
        {
            return Recorded(start, metric, method, nameof(Verdict.Inconclusive), null, $"no values: {read.Error}", o.Now);
        }

        var (verdict, value, entry) = method == ComparisonMethods.MannWhitney
            ? MannWhitney(metric, start, read)
            : metric.Name == BuiltinMetrics.RequestDuration ? Latency(metric, start, read) : Counts(metric, start, read);
        return Recorded(entry, metric, method, verdict.Outcome.ToString(), value, verdict.Reason, o.Now) with
        {
            Estimand = verdict.Estimand,
            Estimate = Finite(verdict.Estimate),
            Lower = Finite(verdict.Lower),
            Upper = Finite(verdict.Upper),
            CanaryCount = verdict.CanaryCount,
            PrimaryCount = verdict.PrimaryCount,
        };
    }

    // Sequential test of the failure rate over the request counts since the run started.
    private static (JudgeVerdict, double?, CanaryMetricStatus) Counts(CanaryMetric metric, CanaryMetricStatus entry, ComparisonRead read)
    {
        var canary = read.Counts!.Canary;
        var primary = read.Counts.Primary;
        var evidence = new CountEvidence { Segments = entry.Counts ?? [] }
            .Add(read.CanaryWeight, Clamp(canary.Failures, canary.Requests), Math.Max(0, canary.Requests), Clamp(primary.Failures, primary.Requests), Math.Max(0, primary.Requests));
        var verdict = SequentialCountJudge.Judge(evidence, ComparisonSpec.FailureCountSettings(metric));
        double? value = canary.Requests > 0 ? 100.0 * (canary.Requests - Clamp(canary.Failures, canary.Requests)) / canary.Requests : null;
        if (metric.Name != BuiltinMetrics.RequestSuccessRate && canary.Requests > 0)
        {
            value = 100.0 * Clamp(canary.Failures, canary.Requests) / canary.Requests;
        }

        return (verdict, value, entry with { Counts = evidence.Segments });
    }

    // Sequential test of the duration distributions over the histogram since the run started.
    private static (JudgeVerdict, double?, CanaryMetricStatus) Latency(CanaryMetric metric, CanaryMetricStatus entry, ComparisonRead read)
    {
        var canary = read.Histograms!.Canary!;
        var primary = read.Histograms.Primary!;
        var bounds = new List<double>(canary.UpperBounds.Count);
        foreach (var bound in canary.UpperBounds)
        {
            if (double.IsFinite(bound))
            {
                bounds.Add(bound);
            }
        }

        var sameBuckets = primary.UpperBounds.Count == canary.UpperBounds.Count && canary.Cumulative.Count == canary.UpperBounds.Count
            && primary.Cumulative.Count == primary.UpperBounds.Count && canary.UpperBounds.SequenceEqual(primary.UpperBounds)
            && double.IsPositiveInfinity(canary.UpperBounds[^1]);
        if (!sameBuckets)
        {
            return (JudgeVerdict.NoData("CDF gap", 0, 0, "the two sides' duration histograms do not have the same buckets ending at +Inf"), null, entry);
        }

        // Evidence kept from earlier checks counts only while the buckets stay the same.
        var kept = entry.Latency is { } l && l.Bounds.SequenceEqual(bounds) ? l : null;
        var c = new long[bounds.Count + 1];
        var p = new long[bounds.Count + 1];
        for (var i = 0; i < c.Length; i++)
        {
            c[i] = Math.Max(0, canary.Cumulative[i]) + (kept?.Canary[i] ?? 0);
            p[i] = Math.Max(0, primary.Cumulative[i]) + (kept?.Primary[i] ?? 0);
        }

        var upper = new double[c.Length];
        bounds.CopyTo(upper);
        upper[^1] = double.PositiveInfinity;
        var verdict = SequentialLatencyJudge.Judge(upper, c, p, ComparisonSpec.Settings(metric));
        return (verdict, Quantile(canary, 0.99), entry with { Latency = new LatencyEvidence { Bounds = bounds, Canary = c, Primary = p } });
    }

    // Kayenta-style Mann-Whitney over each side's samples since the run's first check.
    private static (JudgeVerdict, double?, CanaryMetricStatus) MannWhitney(CanaryMetric metric, CanaryMetricStatus entry, ComparisonRead read)
    {
        var canary = Finite(read.Samples!.Canary!);
        var primary = Finite(read.Samples.Primary!);
        var verdict = MannWhitneyJudge.Judge(canary, primary, ComparisonSpec.Settings(metric));
        return (verdict, canary.Length > 0 ? canary[^1] : null, entry);
    }

    // The canary's q-quantile in one window's histogram, interpolated within its bucket as histogram_quantile does.
    private static double? Quantile(LatencyHistogram histogram, double q)
    {
        var total = histogram.Cumulative[^1];
        if (total <= 0)
        {
            return null;
        }

        var rank = q * total;
        for (var i = 0; i < histogram.Cumulative.Count; i++)
        {
            if (histogram.Cumulative[i] >= rank)
            {
                var upper = histogram.UpperBounds[i];
                if (!double.IsFinite(upper))
                {
                    return i > 0 ? histogram.UpperBounds[i - 1] : null;
                }

                var lower = i > 0 ? histogram.UpperBounds[i - 1] : 0;
                var below = i > 0 ? histogram.Cumulative[i - 1] : 0;
                var inBucket = histogram.Cumulative[i] - below;
                return inBucket <= 0 ? upper : lower + ((upper - lower) * (rank - below) / inBucket);
            }
        }

        return null;
    }

    private static double[] Finite(IReadOnlyList<double> values)
    {
        var list = new List<double>(values.Count);
        foreach (var v in values)
        {
            if (double.IsFinite(v))
            {
                list.Add(v);
            }
        }

        return [.. list];
    }

    private static double? Finite(double value) => double.IsFinite(value) ? value : null;

    private static long Clamp(long failures, long requests) => Math.Clamp(failures, 0, Math.Max(0, requests));

    private static double[] Append(IReadOnlyList<double>? history, double value)
    {
        var count = history?.Count ?? 0;
        var skip = Math.Max(0, count + 1 - CanaryMetricStatus.HistoryLength);
        var next = new double[count - skip + 1];
        for (var i = skip; i < count; i++)
        {
            next[i - skip] = history![i];
        }

        next[^1] = value;
        return next;
    }

    /// <summary>Formats a count of intervals for an event.</summary>
    public static string Intervals(int n) => n.ToString(CultureInfo.InvariantCulture) + (n == 1 ? " interval" : " intervals");
}
