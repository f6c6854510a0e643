namespace Flagger.Testing.Mesh;

/// <summary>Istio's request-duration buckets, and how requests with a given P99 fill them.</summary>
public static class IstioHistogram
{
    /// <summary>Istio's default duration buckets in milliseconds.</summary>
    public static IReadOnlyList<double> Buckets { get; } = [0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000];

    /// <summary>
    /// The share of requests at or below each bucket bound such that Prometheus' <c>histogram_quantile(0.99, …)</c>,
    /// which interpolates linearly inside a bucket, lands exactly on <paramref name="p99Milliseconds"/>.
    /// </summary>
    /// <param name="p99Milliseconds">The P99 the requests should show.</param>
    /// <returns>One cumulative fraction per entry of <see cref="Buckets"/>.</returns>
    public static double[] CumulativeFractions(double p99Milliseconds)
    {
        var bounds = Buckets;
        var upperIndex = Math.Max(0, IndexOfFirstAtLeast(bounds, p99Milliseconds));
        var lower = upperIndex == 0 ? 0 : bounds[upperIndex - 1];
        var upper = bounds[upperIndex];
        var t = Math.Clamp((p99Milliseconds - lower) / (upper - lower), 0, 0.99);
        var belowLower = (0.99 - t) / (1 - t);
        var fractions = new double[bounds.Count];
        for (var i = 0; i < bounds.Count; i++)
        {
            fractions[i] = i < upperIndex - 1 ? belowLower / 2 : i == upperIndex - 1 ? belowLower : 1;
        }

        return fractions;
    }

    /// <summary>Prometheus' <c>histogram_quantile</c> over cumulative bucket counts (the last one is <c>+Inf</c>'s total).</summary>
    /// <param name="quantile">0..1.</param>
    /// <param name="cumulative">Counts at or below each of <see cref="Buckets"/>.</param>
    /// <param name="total">The count of all requests.</param>
    /// <returns>The interpolated quantile, or NaN with no requests.</returns>
    public static double Quantile(double quantile, IReadOnlyList<double> cumulative, double total)
    {
        ArgumentNullException.ThrowIfNull(cumulative);
        if (total <= 0)
        {
            return double.NaN;
        }

        var rank = quantile * total;
        var previousBound = 0.0;
        var previousCount = 0.0;
        for (var i = 0; i < Buckets.Count; i++)
        {
            if (cumulative[i] >= rank)
            {
                var inBucket = cumulative[i] - previousCount;
                return inBucket <= 0 ? Buckets[i] : previousBound + ((Buckets[i] - previousBound) * (rank - previousCount) / inBucket);
            }

            previousBound = Buckets[i];
            previousCount = cumulative[i];
        }

        // Past the last finite bucket Prometheus answers that bucket's upper bound.
        return Buckets[^1];
    }

    private static int IndexOfFirstAtLeast(IReadOnlyList<double> bounds, double value)
    {
        for (var i = 0; i < bounds.Count; i++)
        {
            if (bounds[i] >= value)
            {
                return i;
            }
        }

        return bounds.Count - 1;
    }
}
