namespace Flagger.Accuracy;

/// <summary>One side's requests in one 10-second slot: counts, failures, latency histogram and latency sum.</summary>
internal sealed class SlotCounts(int buckets)
{
    public long Requests { get; set; }

    public long Failures { get; set; }

    /// <summary>Requests per bucket (not cumulative), one per <see cref="Traffic.Edges"/> entry.</summary>
    public long[] Buckets { get; } = new long[buckets];

    public double LatencySum { get; set; }

    /// <summary>Requests slower than 500 ms (the walkthrough's request-duration bound).</summary>
    public long Slow => Requests - Cumulative(Traffic.SlowEdgeIndex);

    public long Cumulative(int index)
    {
        long total = 0;
        for (var i = 0; i <= index; i++)
        {
            total += Buckets[i];
        }

        return total;
    }
}

/// <summary>A latency distribution: log-normal, or a two-mode mixture of log-normals.</summary>
internal readonly record struct Latency(double Median, double Sigma, double SlowShare = 0, double SlowMedian = 0)
{
    public static readonly Latency Baseline = new(100, 0.394);       // p99 ~ 250 ms
    public static readonly Latency Bimodal = new(60, 0.3, 0.1, 300); // 10% of requests take a slow path

    public Latency Scaled(double factor) => this with { Median = Median * factor, SlowMedian = SlowMedian * factor };

    public double Cdf(double x) => x <= 0 ? 0 : double.IsPositiveInfinity(x) ? 1
        : ((1 - SlowShare) * Phi((Math.Log(x) - Math.Log(Median)) / Sigma)) + (SlowShare > 0 ? SlowShare * Phi((Math.Log(x) - Math.Log(SlowMedian)) / Sigma) : 0);

    public double Mean => ((1 - SlowShare) * Median * Math.Exp(Sigma * Sigma / 2)) + (SlowShare * SlowMedian * Math.Exp(Sigma * Sigma / 2));

    public double Variance
    {
        get
        {
            var s2 = Sigma * Sigma;
            var second = ((1 - SlowShare) * Median * Median * Math.Exp(2 * s2)) + (SlowShare * SlowMedian * SlowMedian * Math.Exp(2 * s2));
            return second - (Mean * Mean);
        }
    }

    public double Draw(Sampling random)
    {
        var median = SlowShare > 0 && random.Uniform() < SlowShare ? SlowMedian : Median;
        return median * Math.Exp(Sigma * random.Normal());
    }

    private static double Phi(double z) => 0.5 * MathNet.Numerics.SpecialFunctions.Erfc(-z / Math.Sqrt(2));
}

/// <summary>What one side serves at a moment of the rollout.</summary>
internal readonly record struct Behaviour(double ErrorRate, Latency Latency);

/// <summary>A simulated rollout: what primary and canary serve over time, and how much traffic arrives.</summary>
internal sealed record Scenario(string Name, bool IsRegression, Func<double, Behaviour> Primary, Func<double, Behaviour> Canary, Func<double, double> Load)
{
    public const double BaselineErrorRate = 0.005;

    public static IReadOnlyList<Scenario> All { get; } =
    [
        Same("A/A", Latency.Baseline),
        new("A/A diurnal", false, t => new(BaselineErrorRate * Drift(t, 0.8), Latency.Baseline), t => new(BaselineErrorRate * Drift(t, 0.8), Latency.Baseline), t => Drift(t, 0.5)),
        Same("A/A bimodal", Latency.Bimodal),
        new("warm-up (slow 2 min)", false, _ => Base, t => new(BaselineErrorRate, t < 2 ? Latency.Baseline.Scaled(3) : Latency.Baseline), _ => 1),
        Errors("errors +0.5 pp", 0.005),
        Errors("errors +2 pp", 0.02),
        Errors("errors +10 pp", 0.10),
        Slower("latency +10%", 1.1),
        Slower("latency +50%", 1.5),
        Slower("latency +200%", 3.0),
    ];

    private static Behaviour Base => new(BaselineErrorRate, Latency.Baseline);

    private static Scenario Same(string name, Latency latency) =>
        new(name, false, _ => new(BaselineErrorRate, latency), _ => new(BaselineErrorRate, latency), _ => 1);

    private static Scenario Errors(string name, double extra) =>
        new(name, true, _ => Base, _ => new(BaselineErrorRate + extra, Latency.Baseline), _ => 1);

    private static Scenario Slower(string name, double factor) =>
        new(name, true, _ => Base, _ => new(BaselineErrorRate, Latency.Baseline.Scaled(factor)), _ => 1);

    // Both sides' load and error rate swing over a 60-minute "day" that starts at its trough and rises.
    private static double Drift(double minutes, double amplitude) => 1 + (amplitude * Math.Sin((2 * Math.PI * minutes / 60) - (Math.PI / 2)));
}

/// <summary>Draws each side's requests per 10-second slot at the current weight.</summary>
internal static class Traffic
{
    public const double SlotSeconds = 10;

    public const int SlotsPerInterval = 6;

    /// <summary>Istio's request-duration bucket bounds (ms), cut at 10 s.</summary>
    public static readonly double[] Edges = [0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, double.PositiveInfinity];

    public static readonly int SlowEdgeIndex = Array.IndexOf(Edges, 500.0);

    public static void Draw(SlotCounts slot, Behaviour behaviour, double meanRequests, Sampling random)
    {
        var n = random.Poisson(meanRequests);
        slot.Requests = n;
        slot.Failures = random.Binomial(n, behaviour.ErrorRate);
        Array.Clear(slot.Buckets);

        // A multinomial over the buckets as a chain of binomials.
        var left = n;
        var below = 0.0;
        for (var i = 0; i < Edges.Length && left > 0; i++)
        {
            var upTo = behaviour.Latency.Cdf(Edges[i]);
            var share = i == Edges.Length - 1 || 1 - below < 1e-12 ? 1 : (upTo - below) / (1 - below);
            var inBucket = random.Binomial(left, Math.Clamp(share, 0, 1));
            slot.Buckets[i] = inBucket;
            left -= inBucket;
            below = upTo;
        }

        if (n <= 30)
        {
            double sum = 0;
            for (var i = 0; i < n; i++)
            {
                sum += behaviour.Latency.Draw(random);
            }

            slot.LatencySum = sum;
        }
        else
        {
            slot.LatencySum = (n * behaviour.Latency.Mean) + (Math.Sqrt(n * behaviour.Latency.Variance) * random.Normal());
        }
    }
}
