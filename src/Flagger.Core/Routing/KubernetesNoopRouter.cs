using Flagger.Model;

namespace Flagger.Routing;

/// <summary>
/// The <c>kubernetes</c> provider: no mesh, only the three Services, so only Blue/Green is possible. Routes are
/// reported, not applied: all primary before the first iteration, all canary after it.
/// </summary>
internal sealed class KubernetesNoopRouter : IMeshRouter
{
    public Task ReconcileAsync(Canary canary, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task SetRoutesAsync(Canary canary, TrafficRoutes routes, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task<TrafficRoutes> GetRoutesAsync(Canary canary, CancellationToken cancellationToken) =>
        Task.FromResult(canary.Status is { Iterations: > 0 } ? TrafficRoutes.AllToCanary : TrafficRoutes.AllToPrimary);

    public Task FinalizeAsync(Canary canary, CancellationToken cancellationToken) => Task.CompletedTask;
}
