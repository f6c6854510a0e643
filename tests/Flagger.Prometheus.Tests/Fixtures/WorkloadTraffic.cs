using Flagger.Testing.Mesh;

namespace Flagger.Prometheus.Tests.Fixtures;

/// <summary>
/// What the exporter is told one workload serves: a request rate, the share of non-5xx answers and the P99 latency.
/// Counters grow linearly from the exporter's start, so every rate Prometheus computes is exact.
/// </summary>
public sealed record WorkloadTraffic(string Namespace, string Workload, double RequestsPerSecond, double SuccessRatePercent, double P99Milliseconds)
{
    /// <summary>This workload's counters after <paramref name="seconds"/> of traffic, as the simulated mesh counts them.</summary>
    public WorkloadCounters CountersAfter(double seconds) =>
        WorkloadCounters.Empty(Namespace, Workload).Add(RequestsPerSecond * seconds, 100 - SuccessRatePercent, P99Milliseconds);
}
