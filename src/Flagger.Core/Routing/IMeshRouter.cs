using Flagger.Model;

namespace Flagger.Routing;

/// <summary>
/// Shifts traffic between primary and canary through a mesh or ingress (Istio VirtualService, …).
/// Registered under the provider name users write in <c>spec.provider</c>.
/// </summary>
public interface IMeshRouter
{
    /// <summary>Creates or adopts the mesh objects; writes only when they differ from the desired state.</summary>
    Task ReconcileAsync(Canary canary, CancellationToken cancellationToken);

    /// <summary>Applies a traffic split.</summary>
    Task SetRoutesAsync(Canary canary, TrafficRoutes routes, CancellationToken cancellationToken);

    /// <summary>Reads the split the mesh applies now.</summary>
    Task<TrafficRoutes> GetRoutesAsync(Canary canary, CancellationToken cancellationToken);

    /// <summary>Reverts the mesh objects when a Canary with revertOnDeletion is deleted.</summary>
    Task FinalizeAsync(Canary canary, CancellationToken cancellationToken);
}

/// <summary>Manages the apex, primary and canary Kubernetes Services.</summary>
public interface IServiceRouter
{
    /// <summary>Creates or corrects the <c>-primary</c> and <c>-canary</c> Services.</summary>
    Task InitializeAsync(Canary canary, CancellationToken cancellationToken);

    /// <summary>Creates or corrects the apex Service, pointed at the primary.</summary>
    Task ReconcileAsync(Canary canary, CancellationToken cancellationToken);

    /// <summary>Restores the apex Service when a Canary with revertOnDeletion is deleted.</summary>
    Task FinalizeAsync(Canary canary, CancellationToken cancellationToken);
}
