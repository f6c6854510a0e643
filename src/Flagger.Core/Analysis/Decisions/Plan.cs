using Flagger.Events;
using Flagger.Model;
using Flagger.Notifications;
using Flagger.Routing;
using Flagger.Targets;

namespace Flagger.Analysis.Decisions;

/// <summary>
/// The transition a decision is building. A stack-only builder: the decision functions stay pure, and a tick that
/// decides to do nothing allocates nothing (lists are created on first use).
/// </summary>
internal ref struct Plan
{
    private readonly Observation o;
    private List<TargetAction>? actions;
    private List<CanaryEvent>? events;
    private List<Alert>? alerts;
    private List<MetricObservation>? metrics;

    public Plan(in Observation observation)
    {
        o = observation;
        Status = observation.Status;
    }

    /// <summary>The status being built.</summary>
    public CanaryStatus Status { get; set; }

    /// <summary>See <see cref="Transition.FallbackStatus"/>.</summary>
    public CanaryStatus? Fallback { get; set; }

    /// <summary>The split to apply.</summary>
    public TrafficRoutes? Routes { get; set; }

    /// <summary>How the run ends.</summary>
    public RunOutcome Outcome { get; set; }

    private int postRolloutAt = -1;

    public void Info(string message) => Emit(new CanaryEvent(EventSeverity.Info, message));

    public void Warn(string message) => Emit(new CanaryEvent(EventSeverity.Warning, message));

    public void Error(string message) => Emit(new CanaryEvent(EventSeverity.Error, message));

    public void Emit(CanaryEvent canaryEvent) => (events ??= []).Add(canaryEvent);

    public void Alert(string message, AlertSeverity severity, bool withMetadata = false) =>
        (alerts ??= []).Add(new Alert(message, severity, withMetadata));

    public void Act(TargetAction action) => (actions ??= []).Add(action);

    public void Observed(MetricObservation observation) => (metrics ??= []).Add(observation);

    /// <summary>The post-rollout hooks run, their events going here in the sequence.</summary>
    public void RunPostRolloutHooks() => postRolloutAt = events?.Count ?? 0;

    public void SetPhase(CanaryPhase phase) => Status = StatusTransitions.SetPhase(Status, phase, o.Kind, o.Now);

    public void Sync(CanaryPhase phase, TargetRevision revision, int canaryWeight = 0) =>
        Status = StatusTransitions.Sync(Status, phase, revision, o.Kind, o.Now, canaryWeight);

    /// <summary>The decision is made: the transition, or <see cref="Transition.None"/> when it changes nothing.</summary>
    public readonly Decision Done()
    {
        if (ReferenceEquals(Status, o.Status) && Fallback is null && Routes is null && actions is null && events is null
            && alerts is null && metrics is null && Outcome == RunOutcome.None)
        {
            return new Decision(default, Transition.None);
        }

        return new Decision(default, new Transition
        {
            Status = Status,
            FallbackStatus = Fallback,
            Routes = Routes,
            Actions = (IReadOnlyList<TargetAction>?)actions ?? [],
            Events = (IReadOnlyList<CanaryEvent>?)events ?? [],
            PostRolloutAt = postRolloutAt,
            Alerts = (IReadOnlyList<Alert>?)alerts ?? [],
            Metrics = (IReadOnlyList<MetricObservation>?)metrics ?? [],
            Outcome = Outcome,
        });
    }

    /// <summary>The decision needs one more read first.</summary>
    public static Decision Observe(Need need) => new(need, null);
}

/// <summary>A decision: one more read to make, or the transition to apply.</summary>
internal readonly record struct Decision(Need Need, Transition? Transition);
