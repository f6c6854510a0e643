namespace Flagger.Testing.Mesh;

/// <summary>Settings of a <see cref="SimulatedMesh"/>.</summary>
public sealed class SimulatedMeshOptions
{
    /// <summary>The mesh's clock; the cluster's when null.</summary>
    public TimeProvider? TimeProvider { get; init; }

    /// <summary>How often the counters are sampled for <see cref="SimulatedMesh.Increase"/> (Prometheus' scrape interval).</summary>
    public TimeSpan ScrapeInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long samples are kept.</summary>
    public TimeSpan Retention { get; init; } = TimeSpan.FromHours(1);

    /// <summary>P99 request duration of a healthy workload, before <c>FLAGGER_SIM_LATENCY_MS</c>.</summary>
    public double BaseP99Milliseconds { get; init; } = 20;
}
