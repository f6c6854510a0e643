using Flagger.Metrics;
using Flagger.Testing.Mesh;

namespace Flagger.Demo;

/// <summary>
/// The simulated mesh's metrics with both sides of a comparison (<c>--judge sequential</c> without
/// <c>--prometheus</c>): each workload's request counters and duration buckets over a window, from the mesh's
/// scrapes as <c>increase()</c> would read them. Threshold queries go to <see cref="SimulatedMeshMetrics"/>.
/// </summary>
internal sealed class SimulatedMeshComparisonData(SimulatedMesh mesh) : IMetricsProviderFactory, IMetricsProvider, IComparisonDataProvider
{
    private readonly SimulatedMeshMetrics thresholds = new(mesh);

    public IMetricsProvider Create(MetricsProviderSettings settings) => this;

    public Task<MetricQueryResult> RunQueryAsync(string query, CancellationToken cancellationToken) => thresholds.RunQueryAsync(query, cancellationToken);

    public Task<ProviderHealth> CheckHealthAsync(CancellationToken cancellationToken) => thresholds.CheckHealthAsync(cancellationToken);

    public Task<ComparisonReading<RequestCounts>> ReadRequestCountsAsync(WorkloadPair workloads, ComparisonWindow window, CancellationToken cancellationToken)
    {
        var (canary, primary) = (Increase(workloads, workloads.Canary, window), Increase(workloads, workloads.Primary, window));
        return Task.FromResult(canary is null || primary is null
            ? ComparisonReading.NoValues<RequestCounts>($"no requests to {(canary is null ? workloads.Canary : workloads.Primary)}.{workloads.Namespace}")
            : ComparisonReading.Of(Counts(canary), Counts(primary)));
    }

    public Task<ComparisonReading<LatencyHistogram>> ReadLatencyHistogramsAsync(WorkloadPair workloads, ComparisonWindow window, CancellationToken cancellationToken)
    {
        var (canary, primary) = (Increase(workloads, workloads.Canary, window), Increase(workloads, workloads.Primary, window));
        return Task.FromResult(canary is null || primary is null
            ? ComparisonReading.NoValues<LatencyHistogram>($"no requests to {(canary is null ? workloads.Canary : workloads.Primary)}.{workloads.Namespace}")
            : ComparisonReading.Of(Histogram(canary), Histogram(primary)));
    }

    public Task<ComparisonReading<IReadOnlyList<double>>> ReadSamplesAsync(string canaryQuery, string primaryQuery, ComparisonWindow window, CancellationToken cancellationToken) =>
        Task.FromResult(ComparisonReading.Failed<IReadOnlyList<double>>("the simulated mesh has no range queries; run the demo with --prometheus URL for mann-whitney"));

    private WorkloadCounters? Increase(WorkloadPair workloads, string workload, ComparisonWindow window) =>
        workloads.Mesh == "istio" && mesh.Increase(workloads.Namespace, workload, window.Length) is { Total: > 0 } increase ? increase : null;

    private static RequestCounts Counts(WorkloadCounters counters) =>
        new((long)Math.Round(counters.Total), (long)Math.Round(Math.Min(counters.Failed, counters.Total)));

    private static LatencyHistogram Histogram(WorkloadCounters counters) =>
        new([.. IstioHistogram.Buckets, double.PositiveInfinity], [.. counters.Buckets.Select(b => (long)Math.Round(b)), (long)Math.Round(counters.Total)]);
}
