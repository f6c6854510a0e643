namespace Flagger.Routing;

/// <summary>
/// What a mesh router can do, declared where the router is registered
/// (<see cref="Providers.FlaggerEngineBuilder.AddMeshRouter{TRouter}(string, RouterCapabilities)"/>). The engine reads
/// these instead of comparing provider names, so a new router states its limits once and every decision honours them.
/// </summary>
public sealed record RouterCapabilities
{
    /// <summary>A router with every capability: weighted routes, mirroring, reconciled after the primary.</summary>
    public static RouterCapabilities Full { get; } = new();

    /// <summary>
    /// Whether the router splits traffic by weight. Without it only Blue/Green runs: the engine turns a canary or
    /// A/B analysis into iterations (10 unless set), says so in Warning events, and never applies routes itself.
    /// </summary>
    public bool ShiftsWeights { get; init; } = true;

    /// <summary>Whether the router can mirror primary traffic to the canary (<c>analysis.mirror</c>).</summary>
    public bool Mirrors { get; init; } = true;

    /// <summary>
    /// Whether the mesh objects must exist before the primary's pods start (a mesh that injects its sidecar from
    /// them); the engine then reconciles the router before initialising the primary instead of after.
    /// </summary>
    public bool ReconcilesBeforePrimary { get; init; }
}
