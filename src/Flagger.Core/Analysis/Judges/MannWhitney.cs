using System.Buffers;
using MathNet.Numerics.Distributions;

namespace Flagger.Analysis.Judges;

/// <summary>
/// The two-sample Wilcoxon rank-sum (Mann-Whitney) test with the normal approximation and its confidence interval
/// for the location shift canary − primary, computed as R's <c>wilcox.test(exact = FALSE, correct = TRUE,
/// conf.int = TRUE)</c> and Kayenta's judge compute it: the interval ends are the shifts at which the
/// continuity-corrected statistic crosses ±z, found by R's zeroin (Brent's method) on [min C − max B, max C − min B].
/// </summary>
/// <param name="W">The rank-sum statistic of the canary: sum of its average ranks minus n_C(n_C+1)/2.</param>
/// <param name="PValue">Two-sided p-value of "no shift", with continuity correction and tie correction.</param>
/// <param name="Estimate">The shift at which the uncorrected statistic is zero (R's estimate).</param>
/// <param name="CorrectedEstimate">The shift at which the continuity-corrected statistic is zero (Kayenta's estimate).</param>
/// <param name="Lower">Lower end of the interval.</param>
/// <param name="Upper">Upper end of the interval.</param>
public readonly record struct MannWhitneyResult(double W, double PValue, double Estimate, double CorrectedEstimate, double Lower, double Upper)
{
    /// <summary>Runs the test. Both samples must be free of NaN and hold at least one value each.</summary>
    /// <param name="canary">The canary's sample (x).</param>
    /// <param name="primary">The primary's sample (y).</param>
    /// <param name="confidence">Confidence level of the two-sided interval.</param>
    /// <returns>The result; every field is NaN when all observations are tied (no interval can be formed).</returns>
    public static MannWhitneyResult Compute(ReadOnlySpan<double> canary, ReadOnlySpan<double> primary, double confidence)
    {
        if (canary.IsEmpty || primary.IsEmpty)
        {
            throw new ArgumentException("both samples need at least one value");
        }

        var xRented = ArrayPool<double>.Shared.Rent(canary.Length);
        var yRented = ArrayPool<double>.Shared.Rent(primary.Length);
        try
        {
            var x = xRented.AsSpan(0, canary.Length);
            var y = yRented.AsSpan(0, primary.Length);
            canary.CopyTo(x);
            primary.CopyTo(y);
            x.Sort();
            y.Sort();
            return Compute(new Ranker(xRented, canary.Length, yRented, primary.Length), confidence);
        }
        finally
        {
            ArrayPool<double>.Shared.Return(xRented);
            ArrayPool<double>.Shared.Return(yRented);
        }
    }

    private static MannWhitneyResult Compute(Ranker ranks, double confidence)
    {
        double m = ranks.M, n = ranks.N;
        var (sumX, ties) = ranks.At(0);
        var w = sumX - (m * (m + 1) / 2);
        var sigma = Sigma(m, n, ties);
        if (sigma == 0)
        {
            return new MannWhitneyResult(w, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN);
        }

        var z = w - (m * n / 2);
        var p = 2 * Math.Min(Normal.CDF(0, 1, (z - (0.5 * Math.Sign(z))) / sigma), Normal.CDF(0, 1, -(z - (0.5 * Math.Sign(z))) / sigma));
        p = Math.Min(1, p);

        var low = ranks.MinShift;
        var high = ranks.MaxShift;
        if (!(high > low))
        {
            // Each side is one repeated value: the shifts' bracket has no width and R forms no interval.
            return new MannWhitneyResult(w, p, double.NaN, double.NaN, double.NaN, double.NaN);
        }

        var zq = Normal.InvCDF(0, 1, 1 - ((1 - confidence) / 2));
        var lower = Root(ranks, low, high, zq, correct: true);
        var upper = Root(ranks, low, high, -zq, correct: true);
        var estimate = Root(ranks, low, high, 0, correct: false);
        var corrected = Root(ranks, low, high, 0, correct: true);
        return new MannWhitneyResult(w, p, estimate, corrected, lower, upper);
    }

    private static double Sigma(double m, double n, double ties) =>
        Math.Sqrt(m * n / 12 * ((m + n + 1) - (ties / ((m + n) * (m + n - 1)))));

    // The standardised statistic at shift d minus zq; it falls as d grows. R returns a bracket end when the
    // function does not change sign on the bracket, and so do we.
    private static double Root(Ranker ranks, double low, double high, double zq, bool correct)
    {
        double Difference(double d)
        {
            var (sumX, ties) = ranks.At(d);
            double m = ranks.M, n = ranks.N;
            var dz = sumX - (m * (m + 1) / 2) - (m * n / 2);
            var sigma = Sigma(m, n, ties);
            var correction = correct ? 0.5 * Math.Sign(dz) : 0;
            return ((dz - correction) / sigma) - zq;
        }

        var atLow = Difference(low);
        if (atLow <= 0)
        {
            return low;
        }

        var atHigh = Difference(high);
        if (atHigh >= 0)
        {
            return high;
        }

        // R's uniroot tolerance, in the data's unit; values in tiny units (failure fractions) are best scaled to percent.
        return Zeroin.FindRoot(Difference, low, high, atLow, atHigh, 1e-4);
    }

    /// <summary>Ranks (x − d) among y by merging the two sorted samples: O(m + n) per shift, no allocation.</summary>
    private readonly struct Ranker(double[] x, int m, double[] y, int n)
    {
        public int M => m;

        public int N => n;

        public double MinShift => x[0] - y[n - 1];

        public double MaxShift => x[m - 1] - y[0];

        /// <summary>The sum of the average ranks of x − d and Σ(t³ − t) over the tie groups of the pooled sample.</summary>
        public (double SumX, double Ties) At(double d)
        {
            double sum = 0, ties = 0;
            int i = 0, j = 0, position = 0;
            while (i < m || j < n)
            {
                var value = i < m && (j >= n || x[i] - d <= y[j]) ? x[i] - d : y[j];
                int cx = 0, cy = 0;
                while (i < m && x[i] - d == value)
                {
                    cx++;
                    i++;
                }

                while (j < n && y[j] == value)
                {
                    cy++;
                    j++;
                }

                double t = cx + cy;
                sum += cx * (position + ((t + 1) / 2));
                ties += (t * t * t) - t;
                position += cx + cy;
            }

            return (sum, ties);
        }
    }
}
