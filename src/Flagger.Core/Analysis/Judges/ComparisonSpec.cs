using Flagger.Metrics;
using Flagger.Model;

namespace Flagger.Analysis.Judges;

/// <summary>Reads a metric's <c>comparison</c> block into judge settings, with the defaults the CRD documents.</summary>
public static class ComparisonSpec
{
    /// <summary>Whether the metric is judged against the primary.</summary>
    public static bool IsComparison(this CanaryMetric metric) => metric?.Comparison is not null;

    /// <summary>Whether the metric's comparison uses the sequential test (the default method).</summary>
    public static bool IsSequential(this MetricComparison comparison) =>
        comparison is null || comparison.Method is null or "" or ComparisonMethods.Sequential;

    /// <summary>
    /// The settings for a metric's comparison. Direction defaults to <c>decrease</c> for the builtin
    /// <c>request-success-rate</c> and <c>increase</c> otherwise; confidence to 0.99 (sequential) or 0.98
    /// (mann-whitney); margin to none.
    /// </summary>
    /// <param name="metric">A metric with a <c>comparison</c> block.</param>
    /// <returns>Direction, margin and confidence.</returns>
    public static ComparisonSettings Settings(CanaryMetric metric)
    {
        ArgumentNullException.ThrowIfNull(metric);
        var comparison = metric.Comparison ?? throw new ArgumentException($"metric {metric.Name} has no comparison", nameof(metric));
        var direction = comparison.Direction switch
        {
            ComparisonDirections.Increase => ComparisonDirection.Increase,
            ComparisonDirections.Decrease => ComparisonDirection.Decrease,
            ComparisonDirections.Either => ComparisonDirection.Either,
            _ => metric.Name == BuiltinMetrics.RequestSuccessRate ? ComparisonDirection.Decrease : ComparisonDirection.Increase,
        };
        var confidence = comparison.Confidence ?? (comparison.IsSequential() ? SequentialCountJudge.DefaultConfidence : MannWhitneyJudge.DefaultConfidence);
        var margin = comparison.Margin is { IsValid: true } m ? m : ComparisonMargin.Absolute(0);
        return new ComparisonSettings(direction, margin.Value, margin.IsPercent, confidence);
    }
}
