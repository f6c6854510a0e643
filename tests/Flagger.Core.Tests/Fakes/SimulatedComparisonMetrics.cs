using Flagger.Metrics;

namespace Flagger.Fakes;

/// <summary>
/// A metrics backend that serves both sides of a comparison from simulated traffic: requests arrive at
/// <see cref="RequestsPerSecond"/> in total, split by the mesh's current weight, and fail with each side's error rate
/// (seeded, so a test sees the same requests every run). Threshold queries answer 100.
/// </summary>
public sealed class SimulatedComparisonMetrics(Func<Routing.TrafficRoutes> routes, int seed) : IMetricsProviderFactory, IMetricsProvider, IComparisonDataProvider
{
    private readonly Random random = new(seed);

    public double RequestsPerSecond { get; set; } = 10;

    public double PrimaryErrorRate { get; set; } = 0.005;

    public double CanaryErrorRate { get; set; } = 0.005;

    public List<ComparisonWindow> Windows { get; } = [];

    public IMetricsProvider Create(MetricsProviderSettings settings) => this;

    public Task<MetricQueryResult> RunQueryAsync(string query, CancellationToken cancellationToken) => Task.FromResult(MetricQueryResult.Of(100));

    public Task<ProviderHealth> CheckHealthAsync(CancellationToken cancellationToken) => Task.FromResult(ProviderHealth.Online);

    public Task<ComparisonReading<RequestCounts>> ReadRequestCountsAsync(WorkloadPair workloads, ComparisonWindow window, CancellationToken cancellationToken)
    {
        Windows.Add(window);
        var total = (long)Math.Round(RequestsPerSecond * window.Length.TotalSeconds);
        var canaryRequests = (long)Math.Round(total * routes().CanaryWeight / 100.0);
        var canary = new RequestCounts(canaryRequests, Failures(canaryRequests, CanaryErrorRate));
        var primary = new RequestCounts(total - canaryRequests, Failures(total - canaryRequests, PrimaryErrorRate));
        return Task.FromResult(canaryRequests == 0
            ? ComparisonReading.NoValues<RequestCounts>("no canary requests")
            : ComparisonReading.Of(canary, primary));
    }

    /// <summary>Median request duration of the primary, in milliseconds (log-normal, σ 0.5).</summary>
    public double PrimaryMedianMilliseconds { get; set; } = 100;

    /// <summary>Median request duration of the canary, in milliseconds.</summary>
    public double CanaryMedianMilliseconds { get; set; } = 100;

    private static readonly double[] Bounds = [0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000, double.PositiveInfinity];

    public Task<ComparisonReading<LatencyHistogram>> ReadLatencyHistogramsAsync(WorkloadPair workloads, ComparisonWindow window, CancellationToken cancellationToken)
    {
        Windows.Add(window);
        var total = (long)Math.Round(RequestsPerSecond * window.Length.TotalSeconds);
        var canaryRequests = (long)Math.Round(total * routes().CanaryWeight / 100.0);
        return Task.FromResult(canaryRequests == 0
            ? ComparisonReading.NoValues<LatencyHistogram>("no canary requests")
            : ComparisonReading.Of(Histogram(canaryRequests, CanaryMedianMilliseconds), Histogram(total - canaryRequests, PrimaryMedianMilliseconds)));
    }

    private LatencyHistogram Histogram(long requests, double median)
    {
        var counts = new long[Bounds.Length];
        for (var i = 0; i < requests; i++)
        {
            // Box-Muller: a standard normal draw, then log-normal around the median.
            var z = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
            var ms = median * Math.Exp(0.5 * z);
            for (var b = 0; b < Bounds.Length; b++)
            {
                if (ms <= Bounds[b])
                {
                    counts[b]++;
                }
            }
        }

        return new LatencyHistogram(Bounds, counts);
    }

    public Task<ComparisonReading<IReadOnlyList<double>>> ReadSamplesAsync(string canaryQuery, string primaryQuery, ComparisonWindow window, CancellationToken cancellationToken)
    {
        Windows.Add(window);
        var n = (int)Math.Max(1, window.Length / window.Step);
        IReadOnlyList<double> Side(double errorRate) => [.. Enumerable.Range(0, n).Select(_ => 100 * (1 - errorRate) + random.NextDouble() - 0.5)];
        return Task.FromResult(ComparisonReading.Of(Side(CanaryErrorRate), Side(PrimaryErrorRate)));
    }

    private long Failures(long requests, double rate)
    {
        long failures = 0;
        for (var i = 0; i < requests; i++)
        {
            if (random.NextDouble() < rate)
            {
                failures++;
            }
        }

        return failures;
    }
}
