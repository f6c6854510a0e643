using System.Globalization;
using Flagger.Model;

namespace Flagger.Analysis.Decisions;

/// <summary>Whether a metric value passes its threshold, and the halt message when it does not.</summary>
internal static class MetricVerdicts
{
    /// <summary>Success rate (percent): below the minimum (or legacy threshold) or above the maximum halts.</summary>
    public static string? CheckSuccessRate(Canary canary, CanaryMetric metric, double value)
    {
        if (NotFinite(canary, "success rate", value) is { } halt)
        {
            return halt;
        }

        var (min, max) = Bounds(metric, legacyIsMinimum: true);
        if (min is { } low && value < low)
        {
            return $"Halt {canary.Id} advancement success rate {Percent(value)}% < {Number(low)}%";
        }

        return max is { } high && value > high ? $"Halt {canary.Id} advancement success rate {Percent(value)}% > {Number(high)}%" : null;
    }

    /// <summary>
    /// Request duration (milliseconds): above the maximum (or legacy threshold) or below the minimum halts. Without
    /// either there is no bound, as in Flagger, which compares only a positive threshold.
    /// </summary>
    public static string? CheckRequestDuration(Canary canary, CanaryMetric metric, double milliseconds)
    {
        if (NotFinite(canary, "request duration", milliseconds) is { } halt)
        {
            return halt;
        }

        var (min, max) = metric.ThresholdRange is null && metric.Threshold is not > 0 ? (null, null) : Bounds(metric, legacyIsMinimum: false);
        if (max is { } high && milliseconds > high)
        {
            return $"Halt {canary.Id} advancement request duration {Duration(Math.Round(milliseconds, 3))} > {Duration(high)}";
        }

        return min is { } low && milliseconds < low
            ? $"Halt {canary.Id} advancement request duration {Duration(Math.Round(milliseconds, 3))} < {Duration(low)}"
            : null;
    }

    /// <summary>
    /// Template or inline metric: above the maximum (or legacy threshold) or below the minimum halts. A metric with
    /// neither threshold nor thresholdRange has the threshold 0, as in Flagger, whose threshold field defaults to 0:
    /// an "error count" without a bound halts on the first error instead of always passing.
    /// </summary>
    public static string? CheckCustom(Canary canary, CanaryMetric metric, double value)
    {
        if (NotFinite(canary, metric.Name, value) is { } halt)
        {
            return halt;
        }

        var (min, max) = Bounds(metric, legacyIsMinimum: false);
        if (max is { } high && value > high)
        {
            return $"Halt {canary.Id} advancement {metric.Name} {Percent(value)} > {Number(high)}";
        }

        return min is { } low && value < low ? $"Halt {canary.Id} advancement {metric.Name} {Percent(value)} < {Number(low)}" : null;
    }

    // thresholdRange wins; the legacy single threshold (0 when absent, as in Flagger) is a minimum for success rate
    // and a maximum otherwise.
    private static (double? Min, double? Max) Bounds(CanaryMetric metric, bool legacyIsMinimum)
    {
        if (metric.ThresholdRange is { } range)
        {
            return (range.Min, range.Max);
        }

        var threshold = metric.Threshold ?? 0;
        return legacyIsMinimum ? (threshold, null) : (null, threshold);
    }

    // +Inf, -Inf and NaN pass or fail every comparison by accident (and overflow a duration): none of them is a
    // measurement a canary can be judged by, so each is a failed check that says so.
    private static string? NotFinite(Canary canary, string? what, double value) => double.IsFinite(value)
        ? null
        : $"Halt {canary.Id} advancement {what} is {Number(value)}, not a finite number";

    // A duration past what a TimeSpan holds is shown in milliseconds rather than overflowing.
    private static string Duration(double milliseconds) => Math.Abs(milliseconds) < TimeSpan.MaxValue.TotalMilliseconds / 2
        ? GoDuration.Format(TimeSpan.FromMilliseconds(milliseconds))
        : $"{Number(milliseconds)}ms";

    private static string Percent(double value) => value.ToString("F2", CultureInfo.InvariantCulture);

    private static string Number(double value) => value switch
    {
        double.PositiveInfinity => "+Inf",
        double.NegativeInfinity => "-Inf",
        _ => value.ToString(CultureInfo.InvariantCulture),
    };
}
