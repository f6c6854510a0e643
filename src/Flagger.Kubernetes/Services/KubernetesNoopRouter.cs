using Flagger.Model;
using Flagger.Routing;

namespace Flagger.Kubernetes.Services;

/// <summary>
/// The <c>kubernetes</c> provider: no mesh, only the three Services, so only Blue/Green is possible. Routes are
/// reported, not applied: all primary before the first iteration, all canary after it.
/// </summary>
internal sealed class KubernetesNoopRouter : IMeshRouter
{
    /// <summary>The <c>spec.provider</c> / <c>--mesh-provider</c> value of the router.</summary>
    public const string ProviderName = "kubernetes";

    /// <summary>Only the Services: no weights to shift and nothing to mirror, so every canary runs Blue/Green.</summary>
    public static readonly RouterCapabilities Capabilities = new() { ShiftsWeights = false, Mirrors = false };

    public Task ReconcileAsync(Canary canary, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task SetRoutesAsync(Canary canary, TrafficRoutes routes, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task<TrafficRoutes> GetRoutesAsync(Canary canary, CancellationToken cancellationToken) =>
        Task.FromResult(canary.Status is { Iterations: > 0 } ? TrafficRoutes.AllToCanary : TrafficRoutes.AllToPrimary);

    public Task FinalizeAsync(Canary canary, CancellationToken cancellationToken) => Task.CompletedTask;
}
