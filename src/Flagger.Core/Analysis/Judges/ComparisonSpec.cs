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

    /// <summary>
    /// The settings for <see cref="SequentialCountJudge"/>, which judges the failure rate: a success-rate metric's
    /// direction turns around (a lower success rate is a higher failure rate), and its absolute margin, in points of
    /// success rate, is the same number of points of failure rate.
    /// </summary>
    /// <param name="metric">A metric with a <c>comparison</c> block whose data are request and failure counts.</param>
    /// <returns>Direction of the failure rate that is worse, margin and confidence.</returns>
    public static ComparisonSettings FailureCountSettings(CanaryMetric metric)
    {
        var settings = Settings(metric);
        return metric.Name != BuiltinMetrics.RequestSuccessRate ? settings : settings with
        {
            Direction = settings.Direction switch
            {
                ComparisonDirection.Decrease => ComparisonDirection.Increase,
                ComparisonDirection.Increase => ComparisonDirection.Decrease,
                _ => ComparisonDirection.Either,
            },
        };
    }
}
