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

    public Task<ComparisonReading<LatencyHistogram>> ReadLatencyHistogramsAsync(WorkloadPair workloads, ComparisonWindow window, CancellationToken cancellationToken) =>
        Task.FromResult(ComparisonReading.Failed<LatencyHistogram>("not simulated"));

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
