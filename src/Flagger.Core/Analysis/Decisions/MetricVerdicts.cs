using System.Globalization;
using Flagger.Model;

namespace Flagger.Analysis.Decisions;

/// <summary>Whether a metric value passes its threshold, and the halt message when it does not.</summary>
internal static class MetricVerdicts
{
    /// <summary>Success rate (percent): below the minimum (or legacy threshold) or above the maximum halts.</summary>
    public static string? CheckSuccessRate(Canary canary, CanaryMetric metric, double value)
    {
        var (min, max) = Bounds(metric, legacyIsMinimum: true);
        if (min is { } low && value < low)
        {
            return $"Halt {canary.Id} advancement success rate {Percent(value)}% < {Number(low)}%";
        }

        return max is { } high && value > high ? $"Halt {canary.Id} advancement success rate {Percent(value)}% > {Number(high)}%" : null;
    }

    /// <summary>Request duration (milliseconds): above the maximum (or legacy threshold) or below the minimum halts.</summary>
    public static string? CheckRequestDuration(Canary canary, CanaryMetric metric, double milliseconds)
    {
        var (min, max) = Bounds(metric, legacyIsMinimum: false);
        var observed = GoDuration.Format(TimeSpan.FromMilliseconds(Math.Round(milliseconds, 3)));
        if (max is { } high && milliseconds > high)
        {
            return $"Halt {canary.Id} advancement request duration {observed} > {GoDuration.Format(TimeSpan.FromMilliseconds(high))}";
        }

        return min is { } low && milliseconds < low
            ? $"Halt {canary.Id} advancement request duration {observed} < {GoDuration.Format(TimeSpan.FromMilliseconds(low))}"
            : null;
    }

    /// <summary>Template or inline metric: above the maximum (or legacy threshold) or below the minimum halts.</summary>
    public static string? CheckCustom(Canary canary, CanaryMetric metric, double value)
    {
        var (min, max) = Bounds(metric, legacyIsMinimum: false);
        if (max is { } high && value > high)
        {
            return $"Halt {canary.Id} advancement {metric.Name} {Percent(value)} > {Number(high)}";
        }

        return min is { } low && value < low ? $"Halt {canary.Id} advancement {metric.Name} {Percent(value)} < {Number(low)}" : null;
    }

    // thresholdRange wins; the legacy single threshold is a minimum for success rate and a maximum otherwise.
    private static (double? Min, double? Max) Bounds(CanaryMetric metric, bool legacyIsMinimum)
    {
        if (metric.ThresholdRange is { } range)
        {
            return (range.Min, range.Max);
        }

        if (metric.Threshold is not { } threshold)
        {
            return (null, null);
        }

        return legacyIsMinimum ? (threshold, null) : (null, threshold);
    }

    private static string Percent(double value) => value.ToString("F2", CultureInfo.InvariantCulture);

    private static string Number(double value) => value.ToString(CultureInfo.InvariantCulture);
}
