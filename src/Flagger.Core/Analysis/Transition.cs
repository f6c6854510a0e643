using Flagger.Analysis.Decisions;
using Flagger.Events;
using Flagger.Model;
using Flagger.Notifications;
using Flagger.Routing;
using Flagger.Targets;

namespace Flagger.Analysis;

/// <summary>
/// What one tick does, decided before anything is done: the new status, the route change, the target and
/// autoscaler actions, the events and alerts, and how the run ended. <see cref="TransitionApplier"/> performs it in
/// a fixed safety order.
/// </summary>
internal sealed record Transition
{
    /// <summary>A tick that does nothing.</summary>
    public static Transition None { get; } = new() { Status = null!, Unchanged = true };

    /// <summary>The status to write; the observed instance when nothing changes (then nothing is written).</summary>
    public required CanaryStatus Status { get; init; }

    /// <summary>
    /// The status to write instead when the route change or a target action fails: what is true without them (a
    /// failed check counted, say), so that the next tick retries the rest. Null writes nothing.
    /// </summary>
    public CanaryStatus? FallbackStatus { get; init; }

    /// <summary>The split to apply first, or null to leave the routes alone.</summary>
    public TrafficRoutes? Routes { get; init; }

    /// <summary>Target and autoscaler actions, in order, after the routes.</summary>
    public IReadOnlyList<TargetAction> Actions { get; init; } = [];

    /// <summary>Events, in order.</summary>
    public IReadOnlyList<CanaryEvent> Events { get; init; } = [];

    /// <summary>
    /// Where the post-rollout hooks' events go in <see cref="Events"/> (the hooks run after the status write), or -1
    /// when the run does not end in this tick.
    /// </summary>
    public int PostRolloutAt { get; init; } = -1;

    /// <summary>Alerts, sent last.</summary>
    public IReadOnlyList<Alert> Alerts { get; init; } = [];

    /// <summary>Metric values observed, for the report.</summary>
    public IReadOnlyList<MetricObservation> Metrics { get; init; } = [];

    /// <summary>How the run ended, if it did.</summary>
    public RunOutcome Outcome { get; init; }

    /// <summary>Whether this is <see cref="None"/>.</summary>
    public bool Unchanged { get; private init; }
}

/// <summary>An action on the target or its autoscaler.</summary>
internal enum TargetAction
{
    /// <summary>Copy the target's template (and configs) over the primary.</summary>
    Promote,

    /// <summary>Scale the target to zero.</summary>
    ScaleToZero,

    /// <summary>Scale the target up for a new revision.</summary>
    ScaleFromZero,

    /// <summary>Update the primary's autoscaler from the target's (at promotion).</summary>
    ReconcilePrimaryScaler,

    /// <summary>Stop the target's autoscaler from scaling it up.</summary>
    PauseTargetScaler,

    /// <summary>Let the target's autoscaler act again.</summary>
    ResumeTargetScaler,
}

/// <summary>An alert to send.</summary>
/// <param name="Message">The text.</param>
/// <param name="Severity">Its severity; alerts configured above it do not receive it.</param>
/// <param name="WithMetadata">Whether the target, threshold and routing facts go with it.</param>
internal sealed record Alert(string Message, AlertSeverity Severity, bool WithMetadata);


/// <summary>
/// The transition a decision is building. A stack-only builder: the decision functions stay pure, and a tick that
/// decides to do nothing allocates nothing (lists are created on first use).
/// </summary>
internal ref struct Plan
{
    // A reference, not a copy: the observation is a large struct and a decision round builds a plan or two.
    private readonly ref readonly Observation o;
    private List<TargetAction>? actions;
    private List<CanaryEvent>? events;
    private List<Alert>? alerts;
    private List<MetricObservation>? metrics;

    public Plan(in Observation observation)
    {
        o = ref observation;
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
