using Flagger.Model;
using Flagger.Routing;
using Flagger.Store;
using Flagger.Targets;

namespace Flagger.Benchmarks;

// In-memory ports that keep the completed tasks they hand out, as a watch cache keeps its objects: the test fakes
// build a key string, a Task and (for the revision) a spec hash on every call, which the allocation column would
// otherwise count as the engine's.

/// <summary>Canaries by namespace and name, each read answered with the same task until the canary changes.</summary>
public sealed class SteadyStore : ICanaryStore
{
    private static readonly Task<MetricTemplate?> NoTemplate = Task.FromResult<MetricTemplate?>(null);
    private static readonly Task<AlertProvider?> NoAlertProvider = Task.FromResult<AlertProvider?>(null);
    private readonly Dictionary<(string Namespace, string Name), Task<Canary?>> canaries = [];
    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<Canary, Task<Canary?>> applied = [];
    private readonly Lock gate = new();

    /// <summary>Adds or replaces a canary's spec, keeping its status (as <c>kubectl apply</c> does); one with a status replaces it whole.</summary>
    public void Apply(Canary canary)
    {
        lock (gate)
        {
            var key = (canary.Namespace, canary.Name);
            var stored = canaries.TryGetValue(key, out var old) && old.Result is { } previous && canary.Status is null ? canary with { Status = previous.Status } : canary;
            canaries[key] = applied.GetValue(stored, c => Task.FromResult<Canary?>(c));
        }
    }

    public Canary Get(string @namespace, string name)
    {
        lock (gate)
        {
            return canaries[(@namespace, name)].Result!;
        }
    }

    public Task<Canary?> GetCanaryAsync(string @namespace, string name, CancellationToken cancellationToken)
    {
        lock (gate)
        {
            return canaries.TryGetValue((@namespace, name), out var read) ? read : Task.FromResult<Canary?>(null);
        }
    }

    public Task<Canary> UpdateStatusAsync(Canary canary, CanaryStatus status, CancellationToken cancellationToken)
    {
        var stored = canary with { Status = status };
        lock (gate)
        {
            canaries[(canary.Namespace, canary.Name)] = Task.FromResult<Canary?>(stored);
        }

        return Task.FromResult(stored);
    }

    public Task<MetricTemplate?> GetMetricTemplateAsync(string @namespace, string name, CancellationToken cancellationToken) => NoTemplate;

    public Task<AlertProvider?> GetAlertProviderAsync(string @namespace, string name, CancellationToken cancellationToken) => NoAlertProvider;
}

/// <summary>A Deployment whose rollouts are always finished: ready, with one revision until the image changes.</summary>
public sealed class SteadyWorkload : ITargetController
{
    private static readonly Task<Readiness> Ready = Task.FromResult(Readiness.Ready);
    private Task<TargetRevision> revision = Revision("v1");

    /// <summary>The user applies a new pod template (kubectl set image).</summary>
    public void SetImage(string template) => revision = Revision(template);

    public Task<Readiness> InitializeAsync(Canary canary, bool requirePrimaryReady, CancellationToken cancellationToken) => Ready;

    public Task<Readiness> IsPrimaryReadyAsync(Canary canary, CancellationToken cancellationToken) => Ready;

    public Task<Readiness> IsCanaryReadyAsync(Canary canary, CancellationToken cancellationToken) => Ready;

    public Task<TargetRevision> GetRevisionAsync(Canary canary, CancellationToken cancellationToken) => revision;

    public Task PromoteAsync(Canary canary, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task ScaleToZeroAsync(Canary canary, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task ScaleFromZeroAsync(Canary canary, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task FinalizeAsync(Canary canary, CancellationToken cancellationToken) => Task.CompletedTask;

    private static Task<TargetRevision> Revision(string template) =>
        Task.FromResult(new TargetRevision(SpecHash.Compute($"{{\"image\":\"{template}\"}}"), new Dictionary<string, string>()));
}

/// <summary>A mesh that serves whatever split it was last given, answering reads with the same task.</summary>
public sealed class SteadyMesh : IMeshRouter
{
    private Task<TrafficRoutes> routes = Task.FromResult(TrafficRoutes.AllToPrimary);

    public Task ReconcileAsync(Canary canary, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task SetRoutesAsync(Canary canary, TrafficRoutes routes, CancellationToken cancellationToken)
    {
        if (this.routes.Result != routes)
        {
            this.routes = Task.FromResult(routes);
        }

        return Task.CompletedTask;
    }

    public Task<TrafficRoutes> GetRoutesAsync(Canary canary, CancellationToken cancellationToken) => routes;

    public Task FinalizeAsync(Canary canary, CancellationToken cancellationToken) => Task.CompletedTask;
}
