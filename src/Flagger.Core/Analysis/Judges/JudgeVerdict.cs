using System.Globalization;

namespace Flagger.Analysis.Judges;

/// <summary>What a judge concluded about one metric at one look.</summary>
public enum Verdict
{
    /// <summary>The canary is not worse than the primary by the margin: the step may advance.</summary>
    Pass,

    /// <summary>The canary is worse than the primary by more than the margin: a failed check.</summary>
    Fail,

    /// <summary>The data cannot tell yet: hold the weight, no failed check.</summary>
    Inconclusive,
}

/// <summary>Which way a metric gets worse.</summary>
public enum ComparisonDirection
{
    /// <summary>A higher canary value is worse.</summary>
    Increase,

    /// <summary>A lower canary value is worse.</summary>
    Decrease,

    /// <summary>A difference either way is worse.</summary>
    Either,
}

/// <summary>How one metric is compared: which way is worse, the smallest difference that matters, and the confidence.</summary>
/// <param name="Direction">Which way is worse.</param>
/// <param name="Margin">The smallest degradation that matters, in the metric's unit (0 for none).</param>
/// <param name="MarginIsPercent">Whether <paramref name="Margin"/> is a percentage of the primary's value.</param>
/// <param name="Confidence">Confidence of the verdict, in (0.5, 1).</param>
public readonly record struct ComparisonSettings(ComparisonDirection Direction, double Margin, bool MarginIsPercent, double Confidence)
{
    /// <summary>The error budget: one minus the confidence.</summary>
    public double Alpha => 1 - Confidence;

    /// <summary>The margin as an absolute amount, given the primary's typical value (used for percent margins).</summary>
    public double AbsoluteMargin(double primaryValue) => MarginIsPercent ? Math.Abs(primaryValue) * Margin / 100 : Margin;
}

/// <summary>
/// One verdict with what it rests on: the estimated difference between canary and primary, its confidence
/// interval and the sample sizes on both sides. The reason is written for an event or a status message.
/// </summary>
/// <param name="Outcome">Pass, Fail or Inconclusive.</param>
/// <param name="Estimand">What <paramref name="Estimate"/> measures, such as <c>shift</c> or <c>failure-rate ratio</c>.</param>
/// <param name="Estimate">The point estimate (NaN when there is no data).</param>
/// <param name="Lower">The lower end of its confidence interval.</param>
/// <param name="Upper">The upper end of its confidence interval.</param>
/// <param name="CanaryCount">Observations on the canary's side.</param>
/// <param name="PrimaryCount">Observations on the primary's side.</param>
/// <param name="Reason">Why, in one sentence.</param>
public sealed record JudgeVerdict(
    Verdict Outcome,
    string Estimand,
    double Estimate,
    double Lower,
    double Upper,
    long CanaryCount,
    long PrimaryCount,
    string Reason)
{
    internal static JudgeVerdict NoData(string estimand, long canary, long primary, string reason) =>
        new(Verdict.Inconclusive, estimand, double.NaN, double.NaN, double.NaN, canary, primary, reason);

    internal static string Number(double value) => value switch
    {
        double.PositiveInfinity => "+Inf",
        double.NegativeInfinity => "-Inf",
        _ => value.ToString("G4", CultureInfo.InvariantCulture),
    };

    internal string Interval(double confidence) =>
        string.Create(CultureInfo.InvariantCulture, $"{Estimand} {Number(Estimate)}, {confidence * 100:0.##}% interval [{Number(Lower)}, {Number(Upper)}], n = {CanaryCount} canary / {PrimaryCount} primary");
}
