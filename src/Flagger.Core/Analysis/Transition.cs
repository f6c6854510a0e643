using Flagger.Events;
using Flagger.Model;
using Flagger.Notifications;
using Flagger.Routing;

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
