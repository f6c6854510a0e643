using System.Globalization;
using MathNet.Numerics.RootFinding;

namespace Flagger.Analysis.Judges;

/// <summary>
/// An anytime-valid sequential comparison of two latency distributions from histogram bucket counts (such as
/// Istio's request-duration buckets): each side's empirical CDF at the bucket edges carries a time-uniform band
/// (Howard and Ramdas' confidence sequence for a CDF, half-width ε(n, α/2) per side), so the comparison holds at
/// every look at once. The canary is worse (slower, for <see cref="ComparisonDirection.Increase"/>) beyond the
/// margin when, at some edges e_j ≤ e_i shifted back by the margin, the primary's CDF band lies wholly above the
/// canary's: F̂_B(e_j) − ε_B &gt; F̂_C(e_i) + ε_C. It passes when, at every edge the bands can resolve, the canary's
/// CDF band at the edge shifted forward by the margin lies wholly above the primary's, up to the primary's p90 (the
/// tail is left to the Fail rule: a band of constant width cannot bound it with a rollout's traffic). Counts are cumulative since
/// the canary started; the weight does not matter, since each side is judged on its own requests.
/// </summary>
public static class SequentialLatencyJudge
{
    private const string Estimand = "CDF gap";

    // Pass certifies the distribution up to this quantile of the reference side.
    private const double PassQuantile = 0.9;

    /// <summary>The time-uniform CDF band's half-width for n observations at error α (Howard and Ramdas' closed form).</summary>
    /// <param name="n">Observations so far.</param>
    /// <param name="alpha">Error probability of the band over all times.</param>
    /// <returns>ε such that the empirical CDF stays within ε of the true one at every n, with probability 1 − α.</returns>
    public static double BandHalfWidth(double n, double alpha) =>
        n < 1 ? double.PositiveInfinity : 0.85 * Math.Sqrt((Math.Log(Math.Log(Math.E * n)) + (0.8 * Math.Log(1612 / alpha))) / n);

    /// <summary>Judges the cumulative bucket counts of both sides.</summary>
    /// <param name="upperBounds">The buckets' upper bounds (Prometheus <c>le</c>), ascending; the last may be +Inf.</param>
    /// <param name="canaryCumulative">The canary's cumulative count per bucket; the last bucket holds all requests.</param>
    /// <param name="primaryCumulative">The primary's cumulative count per bucket.</param>
    /// <param name="settings">Direction, margin (in the buckets' unit, or percent of the latency) and confidence.</param>
    /// <returns>The verdict; the estimate is the largest gap of the CDFs in the worse direction, with its band.</returns>
    public static JudgeVerdict Judge(ReadOnlySpan<double> upperBounds, ReadOnlySpan<long> canaryCumulative, ReadOnlySpan<long> primaryCumulative, ComparisonSettings settings)
    {
        if (upperBounds.Length == 0 || canaryCumulative.Length != upperBounds.Length || primaryCumulative.Length != upperBounds.Length)
        {
            throw new ArgumentException("every side needs one count per bucket bound");
        }

        long nC = canaryCumulative[^1], nB = primaryCumulative[^1];
        if (nC == 0 || nB == 0)
        {
            return JudgeVerdict.NoData(Estimand, nC, nB, nC == 0 ? "no canary requests yet" : "no primary requests yet");
        }

        // α/2 per side, and α/2 again per direction when either way is worse.
        var alpha = settings.Direction == ComparisonDirection.Either ? settings.Alpha / 2 : settings.Alpha;
        var epsC = BandHalfWidth(nC, alpha / 2);
        var epsB = BandHalfWidth(nB, alpha / 2);
        var slower = Compare(upperBounds, canaryCumulative, primaryCumulative, epsC, epsB, settings);
        var faster = Compare(upperBounds, primaryCumulative, canaryCumulative, epsB, epsC, settings);
        var (worse, better) = settings.Direction switch
        {
            ComparisonDirection.Increase => (slower, slower),
            ComparisonDirection.Decrease => (faster, faster),
            _ => (slower.Worse ? slower : faster, slower.Worse ? slower : faster),
        };
        var fail = worse.Worse || (settings.Direction == ComparisonDirection.Either && faster.Worse);
        var pass = !fail && settings.Direction switch
        {
            ComparisonDirection.Either => slower.Pass && faster.Pass,
            _ => better.Pass,
        };

        var gap = worse.Gap;
        var verdict = new JudgeVerdict(fail ? Verdict.Fail : pass ? Verdict.Pass : Verdict.Inconclusive, Estimand, gap, gap - epsB - epsC, gap + epsB + epsC, nC, nB, string.Empty);
        var reason = verdict.Outcome switch
        {
            Verdict.Fail => $"canary latency distribution is {(slower.Worse ? "slower" : "faster")} than the primary's beyond the margin: {verdict.Interval(settings.Confidence)}",
            Verdict.Pass => string.Create(CultureInfo.InvariantCulture, $"canary latency is within the margin of the primary's up to its p{better.ResolvedQuantile * 100:0.#}: {verdict.Interval(settings.Confidence)}"),
            _ => $"not enough requests to tell the latency distributions apart yet: {verdict.Interval(settings.Confidence)}",
        };
        return verdict with { Reason = reason };
    }

    /// <summary>
    /// The one-sided look of the reference: D⁺ = max over edges of F̂_B − F̂_C, the two half-widths at α/2, whether D⁺
    /// beyond a CDF margin δ rejects, whether D⁺ within δ is certain, and the look's p-value.
    /// </summary>
    internal static (double Gap, double EpsPrimary, double EpsCanary, bool Reject, bool Accept, double PValue) CdfLook(
        ReadOnlySpan<long> canaryCumulative, ReadOnlySpan<long> primaryCumulative, double alpha, double cdfMargin)
    {
        double nC = canaryCumulative[^1], nB = primaryCumulative[^1];
        var gap = double.NegativeInfinity;
        for (var i = 0; i < canaryCumulative.Length; i++)
        {
            gap = Math.Max(gap, (primaryCumulative[i] / nB) - (canaryCumulative[i] / nC));
        }

        double epsB = BandHalfWidth(nB, alpha / 2), epsC = BandHalfWidth(nC, alpha / 2);
        double Excess(double logA) => gap - cdfMargin - BandHalfWidth(nB, Math.Exp(logA) / 2) - BandHalfWidth(nC, Math.Exp(logA) / 2);
        var p = Excess(0) <= 0 ? 1
            : Excess(Math.Log(double.Epsilon)) > 0 ? 0
            : Math.Exp(Brent.FindRoot(Excess, Math.Log(double.Epsilon), 0, 1e-12, 400));
        return (gap, epsB, epsC, gap - cdfMargin > epsB + epsC, gap + epsB + epsC <= cdfMargin, p);
    }

    private readonly record struct Comparison(bool Worse, bool Pass, double Gap, double ResolvedQuantile);

    // "Subject" is the side that must not be slower than "reference" shifted by the margin.
    private static Comparison Compare(ReadOnlySpan<double> edges, ReadOnlySpan<long> subject, ReadOnlySpan<long> reference, double epsS, double epsR, ComparisonSettings settings)
    {
        double nS = subject[^1], nR = reference[^1];
        var worse = false;
        var pass = true;
        var gap = double.NegativeInfinity;
        var resolved = 0.0;
        for (var i = 0; i < edges.Length; i++)
        {
            if (double.IsPositiveInfinity(edges[i]))
            {
                continue;
            }

            var fS = subject[i] / nS;
            var fR = reference[i] / nR;
            gap = Math.Max(gap, fR - fS);

            // Worse: the reference's CDF at an edge at or below e_i shifted back by the margin beats the subject's at e_i.
            var back = LastAtOrBelow(edges, Shift(edges[i], settings, forward: false));
            if (back >= 0 && (reference[back] / nR) - epsR > fS + epsS)
            {
                worse = true;
            }

            // Pass: at every edge up to the reference's p90, the subject's CDF at an edge at or below e_i shifted forward
            // by the margin is above the reference's at e_i. Without a margin that needs the subject to be faster.
            // The tail is left to Fail: a band of constant width cannot bound it with the traffic of a rollout.
            if (fR > PassQuantile || fR == 0)
            {
                continue;
            }

            var ahead = LastAtOrBelow(edges, Shift(edges[i], settings, forward: true));
            if (ahead < 0 || (subject[ahead] / nS) - epsS < fR + epsR)
            {
                pass = false;
            }
            else
            {
                resolved = Math.Max(resolved, fR);
            }
        }

        return new Comparison(worse, pass && resolved >= 0.5, Math.Max(gap, 0), resolved);
    }

    private static double Shift(double edge, ComparisonSettings settings, bool forward)
    {
        var margin = settings.MarginIsPercent ? edge * settings.Margin / 100 : settings.Margin;
        return forward ? edge + margin : edge - margin;
    }

    private static int LastAtOrBelow(ReadOnlySpan<double> edges, double value)
    {
        var found = -1;
        for (var j = 0; j < edges.Length && edges[j] <= value; j++)
        {
            found = j;
        }

        return found;
    }
}
