using Flagger.Model;
using Flagger.Routing;

namespace EmbeddedEngine.Ports;

/// <summary>The pipeline's load balancer: it only remembers the split, which the telemetry reads.</summary>
internal sealed class ReleaseTraffic(Release release) : IMeshRouter, IServiceRouter
{
    public Task SetRoutesAsync(Canary canary, TrafficRoutes routes, CancellationToken cancellationToken)
    {
        release.CanaryWeight = routes.CanaryWeight;
        return Task.CompletedTask;
    }

    public Task<TrafficRoutes> GetRoutesAsync(Canary canary, CancellationToken cancellationToken) =>
        Task.FromResult(new TrafficRoutes(100 - release.CanaryWeight, release.CanaryWeight));

    // Routes and services need no objects of their own in this pipeline.
    Task IMeshRouter.ReconcileAsync(Canary canary, CancellationToken cancellationToken) => Task.CompletedTask;

    Task IMeshRouter.FinalizeAsync(Canary canary, CancellationToken cancellationToken) => Task.CompletedTask;

    Task IServiceRouter.InitializeAsync(Canary canary, CancellationToken cancellationToken) => Task.CompletedTask;

    Task IServiceRouter.ReconcileAsync(Canary canary, CancellationToken cancellationToken) => Task.CompletedTask;

    Task IServiceRouter.FinalizeAsync(Canary canary, CancellationToken cancellationToken) => Task.CompletedTask;
}
