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
/// <remarks>
/// Rented from a small pool and returned when the tick's report is built, so a steady-state tick allocates no
/// context; the event and metric lists are created only when a tick has something to put in them, and then
/// belong to the report.
/// </remarks>
internal sealed class TickContext
{
    private static readonly TickContext?[] Pool = new TickContext?[Math.Max(4, Environment.ProcessorCount * 2)];
    private static readonly CanaryStatus NoStatus = new();

    private Canary? current;
    private TargetRevision? revision;
    private List<CanaryEvent>? events;
    private List<MetricObservation>? metrics;

    public TickContext(Canary canary, DateTimeOffset now) => Reset(canary, now);

    /// <summary>A context for a new tick, from the pool when one is free.</summary>
    public static TickContext Rent(Canary canary, DateTimeOffset now)
    {
        for (var i = 0; i < Pool.Length; i++)
        {
            if (Pool[i] is not null && Interlocked.Exchange(ref Pool[i], null) is { } pooled)
            {
                pooled.Reset(canary, now);
                return pooled;
            }
        }

        return new TickContext(canary, now);
    }

    /// <summary>Gives the context back once nothing refers to it any more (its report has been built).</summary>
    public void Return()
    {
        Reset(null!, default);
        for (var i = 0; i < Pool.Length; i++)
        {
            if (Interlocked.CompareExchange(ref Pool[i], this, null) is null)
            {
                return;
            }
        }
    }

    /// <summary>The canary as read at the start of the tick.</summary>
    public Canary Canary { get; private set; } = null!;

    /// <summary>The status as read.</summary>
    public CanaryStatus Original { get; private set; } = null!;

    /// <summary>The status being built.</summary>
    public CanaryStatus Status
    {
        get;
        set
        {
            field = value;
            current = null;
        }
    } = null!;

    public DateTimeOffset Now { get; private set; }

    public CanaryAnalysis? Analysis => Canary.Spec.GetAnalysis();

    public string Provider { get; set; } = string.Empty;

    public IMeshRouter Router { get; set; } = null!;

    public ITargetController Target { get; set; } = null!;

    public IServiceRouter Services { get; set; } = null!;

    public IScalerReconciler? Scaler { get; set; }

    /// <summary>Events recorded so far, in order (none: an empty list that is not kept).</summary>
    public IReadOnlyList<CanaryEvent> Events => (IReadOnlyList<CanaryEvent>?)events ?? [];

    /// <summary>Metric values observed so far.</summary>
    public IReadOnlyList<MetricObservation> Metrics => (IReadOnlyList<MetricObservation>?)metrics ?? [];

    /// <summary>Whether the tick has done anything a report must carry beyond the canary itself.</summary>
    public bool HasNews => events is not null || metrics is not null || Routes is not null || Outcome != RunOutcome.None;

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
    public async ValueTask<TargetRevision> GetRevisionAsync(CancellationToken cancellationToken) =>
        revision ??= await Target.GetRevisionAsync(Current, cancellationToken).ConfigureAwait(false);

    public void AddEvent(CanaryEvent canaryEvent) => (events ??= []).Add(canaryEvent);

    public void AddMetric(MetricObservation observation) => (metrics ??= []).Add(observation);

    /// <summary>Applies a traffic split and remembers it for the report.</summary>
    public async Task SetRoutesAsync(TrafficRoutes routes, CancellationToken cancellationToken)
    {
        await Router.SetRoutesAsync(Current, routes, cancellationToken).ConfigureAwait(false);
        Routes = routes;
    }

    public void SetPhase(CanaryPhase phase) => Status = StatusTransitions.SetPhase(Status, phase, Kind, Now);

    public void Sync(CanaryPhase phase, TargetRevision targetRevision, int canaryWeight = 0) =>
        Status = StatusTransitions.Sync(Status, phase, targetRevision, Kind, Now, canaryWeight);

    // The lists are not cleared but dropped: a report built from this tick holds them.
    private void Reset(Canary canary, DateTimeOffset now)
    {
        Canary = canary;
        Now = now;
        Original = canary?.Status ?? NoStatus;
        Status = Original;
        current = null;
        revision = null;
        events = null;
        metrics = null;
        Provider = string.Empty;
        Router = null!;
        Target = null!;
        Services = null!;
        Scaler = null;
        Routes = null;
        Outcome = RunOutcome.None;
    }
}
