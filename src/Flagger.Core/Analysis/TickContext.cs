using Flagger.Analysis.Decisions;
using Flagger.Events;
using Flagger.Model;
using Flagger.Routing;
using Flagger.Targets;

namespace Flagger.Analysis;

/// <summary>
/// One tick of one canary: the canary read at the start, the status being built (written once at the end),
/// the providers chosen for it, and what happened.
/// </summary>
internal sealed class TickContext
{
    private Canary? current;
    private TargetRevision? revision;

    public TickContext(Canary canary, DateTimeOffset now)
    {
        Canary = canary;
        Now = now;
        Original = canary.Status ?? new CanaryStatus();
        Status = Original;
    }

    /// <summary>The canary as read at the start of the tick.</summary>
    public Canary Canary { get; }

    /// <summary>The status as read.</summary>
    public CanaryStatus Original { get; }

    /// <summary>The status being built.</summary>
    public CanaryStatus Status
    {
        get;
        set
        {
            field = value;
            current = null;
        }
    }

    public DateTimeOffset Now { get; }

    public CanaryAnalysis? Analysis => Canary.Spec.GetAnalysis();

    public string Provider { get; set; } = string.Empty;

    public IMeshRouter Router { get; set; } = null!;

    public ITargetController Target { get; set; } = null!;

    public IServiceRouter Services { get; set; } = null!;

    public IScalerReconciler? Scaler { get; set; }

    public List<CanaryEvent> Events { get; } = [];

    public List<MetricObservation> Metrics { get; } = [];

    public TrafficRoutes? Routes { get; set; }

    public RunOutcome Outcome { get; set; }

    /// <summary>The canary with the status built so far: what the providers see.</summary>
    /// <remarks>While nothing has changed (every idle tick) that is the canary as read, not a copy.</remarks>
    public Canary Current => current ??= ReferenceEquals(Status, Canary.Status) ? Canary : Canary with { Status = Status };

    public CanaryPhase? Phase => Status.Phase;

    public string Kind => Canary.GetTargetKind();

    /// <summary><c>target.namespace</c>, as Flagger names the workload in several events.</summary>
    public string TargetId => $"{Canary.GetTargetName()}.{Canary.Namespace}";

    public bool IsInitializing => Phase is null or CanaryPhase.Initializing;

    /// <summary>The target's current revision, read once per tick.</summary>
    public async Task<TargetRevision> GetRevisionAsync(CancellationToken cancellationToken) =>
        revision ??= await Target.GetRevisionAsync(Current, cancellationToken).ConfigureAwait(false);

    /// <summary>Applies a traffic split and remembers it for the report.</summary>
    public async Task SetRoutesAsync(TrafficRoutes routes, CancellationToken cancellationToken)
    {
        await Router.SetRoutesAsync(Current, routes, cancellationToken).ConfigureAwait(false);
        Routes = routes;
    }

    public void SetPhase(CanaryPhase phase) => Status = StatusTransitions.SetPhase(Status, phase, Kind, Now);

    public void Sync(CanaryPhase phase, TargetRevision targetRevision, int canaryWeight = 0) =>
        Status = StatusTransitions.Sync(Status, phase, targetRevision, Kind, Now, canaryWeight);
}
