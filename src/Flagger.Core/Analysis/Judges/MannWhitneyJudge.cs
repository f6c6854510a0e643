using System.Buffers;
using System.Globalization;

namespace Flagger.Analysis.Judges;

/// <summary>
/// Kayenta's per-metric judge (NetflixACAJudge with its Mann-Whitney classifier): a fixed-horizon rank-sum test over
/// one interval's samples of each side (one value per scrape step, not per request), at 98% confidence, with a
/// tolerance band of 25% of the estimated shift that the interval must clear before the canary is called worse.
/// NaN values are dropped; a side without values is Inconclusive (Kayenta's Nodata). A margin, when given, widens
/// the band to at least that amount. The test is not sequentially valid: judging again at every interval inflates
/// the chance of a false failure over a rollout.
/// </summary>
public static class MannWhitneyJudge
{
    /// <summary>Kayenta's confidence level, a literal in its judge.</summary>
    public const double DefaultConfidence = 0.98;

    /// <summary>Kayenta's tolerance: the interval must clear this share of the estimate's size.</summary>
    public const double Tolerance = 0.25;

    private const string Estimand = "shift";

    /// <summary>Judges one interval's samples.</summary>
    /// <param name="canary">The canary's values, one per step of the interval (NaN for steps without data).</param>
    /// <param name="primary">The primary's values over the same steps.</param>
    /// <param name="settings">Direction, margin and confidence.</param>
    /// <returns>The verdict; the estimate is Kayenta's (continuity-corrected) shift canary − primary.</returns>
    public static JudgeVerdict Judge(ReadOnlySpan<double> canary, ReadOnlySpan<double> primary, ComparisonSettings settings)
    {
        var xRented = ArrayPool<double>.Shared.Rent(Math.Max(1, canary.Length));
        var yRented = ArrayPool<double>.Shared.Rent(Math.Max(1, primary.Length));
        try
        {
            var x = DropNaN(canary, xRented);
            var y = DropNaN(primary, yRented);
            return JudgeClean(x, y, settings);
        }
        finally
        {
            ArrayPool<double>.Shared.Return(xRented);
            ArrayPool<double>.Shared.Return(yRented);
        }
    }

    private static JudgeVerdict JudgeClean(Span<double> x, Span<double> y, ComparisonSettings settings)
    {
        if (x.IsEmpty || y.IsEmpty)
        {
            return JudgeVerdict.NoData(Estimand, x.Length, y.Length, x.IsEmpty ? "no canary values in this interval" : "no primary values in this interval");
        }

        x.Sort();
        y.Sort();
        double estimate, lower, upper;
        if (x.SequenceEqual(y) || (x[0] == x[^1] && y[0] == y[^1] && x[0] == y[0]))
        {
            return new JudgeVerdict(Verdict.Pass, Estimand, 0, 0, 0, x.Length, y.Length, "canary and primary values are the same");
        }

        if (x[0] == x[^1] && y[0] == y[^1])
        {
            // Kayenta adds a little noise to each side here; the shift is then known to that noise's size.
            estimate = lower = upper = x[0] - y[0];
        }
        else
        {
            var result = MannWhitneyResult.Compute(x, y, settings.Confidence);
            (estimate, lower, upper) = (result.CorrectedEstimate, result.Lower, result.Upper);
            if (double.IsNaN(lower) || double.IsNaN(upper))
            {
                // R stops here, and Kayenta's classifier reports an error: ties leave no spread at a bracket end.
                return new JudgeVerdict(Verdict.Inconclusive, Estimand, estimate, lower, upper, x.Length, y.Length,
                    "the values are too tied to form a confidence interval");
            }
        }

        var meanRatio = Mean(y) == 0 || Mean(x) == 0 ? double.NaN : Mean(x) / Mean(y);
        var band = Math.Max(Tolerance * Math.Abs(estimate), settings.AbsoluteMargin(Mean(y)));
        var higher = lower > band && !(meanRatio < 1);
        var lowerSide = upper < -band && !(meanRatio > 1);
        var worse = settings.Direction switch
        {
            ComparisonDirection.Increase => higher,
            ComparisonDirection.Decrease => lowerSide,
            _ => higher || lowerSide,
        };

        var verdict = new JudgeVerdict(worse ? Verdict.Fail : Verdict.Pass, Estimand, estimate, lower, upper, x.Length, y.Length, string.Empty);
        var band0 = JudgeVerdict.Number(band);
        var reason = worse
            ? string.Create(CultureInfo.InvariantCulture, $"canary {(higher ? "higher" : "lower")} than primary beyond the tolerance {band0}: {verdict.Interval(settings.Confidence)}")
            : string.Create(CultureInfo.InvariantCulture, $"no difference beyond the tolerance {band0}: {verdict.Interval(settings.Confidence)}");
        return verdict with { Reason = reason };
    }

    private static Span<double> DropNaN(ReadOnlySpan<double> values, double[] buffer)
    {
        var count = 0;
        foreach (var value in values)
        {
            if (!double.IsNaN(value))
            {
                buffer[count++] = value;
            }
        }

        return buffer.AsSpan(0, count);
    }

    private static double Mean(ReadOnlySpan<double> values)
    {
        double sum = 0;
        foreach (var value in values)
        {
            sum += value;
        }

        return sum / values.Length;
    }
}
