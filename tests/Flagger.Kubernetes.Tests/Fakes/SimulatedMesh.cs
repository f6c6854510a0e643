using Flagger.Model;
using Flagger.Routing;

namespace Flagger.Fakes;

/// <summary>A mesh that applies whatever split it is given and remembers every change.</summary>
public sealed class SimulatedMesh : IMeshRouter
{
    public TrafficRoutes Routes { get; private set; } = TrafficRoutes.AllToPrimary;

    public List<TrafficRoutes> History { get; } = [];

    public int Reconciles { get; private set; }

    /// <summary>When set, SetRoutes fails as an unreachable API server would.</summary>
    public string? FailWith { get; set; }

    public Task ReconcileAsync(Canary canary, CancellationToken cancellationToken)
    {
        Reconciles++;
        return Task.CompletedTask;
    }

    public Task SetRoutesAsync(Canary canary, TrafficRoutes routes, CancellationToken cancellationToken)
    {
        if (FailWith is not null)
        {
            throw new InvalidOperationException(FailWith);
        }

        Routes = routes;
        History.Add(routes);
        return Task.CompletedTask;
    }

    public Task<TrafficRoutes> GetRoutesAsync(Canary canary, CancellationToken cancellationToken) => Task.FromResult(Routes);

    public Task FinalizeAsync(Canary canary, CancellationToken cancellationToken) => Task.CompletedTask;
}
