// What passes between the stages of a tick: the Observation a tick saw, the Need a decision asks for, the Transition
// it decides on (built through Plan), and StatusTransitions, the pure updates of a canary's status.

using Flagger.Analysis.Decisions;
using Flagger.Events;
using Flagger.Model;
using Flagger.Notifications;
using Flagger.Routing;
using Flagger.Targets;
using Flagger.Webhooks;

namespace Flagger.Analysis;

/// <summary>
/// Everything one tick knows about one canary, read through the ports before anything is decided. Immutable: each
/// observe round returns a copy with one more read filled in. A read that was not asked for is null; a read that
/// failed is not an exception but <see cref="Failure"/>, which the decision turns into a Warning, a retry on the
/// next tick, or (when it persists) a rollback.
/// </summary>
/// <remarks>A struct, so that an idle tick observes without allocating.</remarks>
internal readonly record struct Observation
{
    /// <summary>The canary as read at the start of the tick.</summary>
    public required Canary Canary { get; init; }

    /// <summary>The tick's time.</summary>
    public required DateTimeOffset Now { get; init; }

    /// <summary>The status as read (never null).</summary>
    public required CanaryStatus Status { get; init; }

    /// <summary>How often the canary ticks: its analysis interval, floored at the engine's minimum.</summary>
    public required TimeSpan Interval { get; init; }

    /// <summary>The providers chosen for this canary.</summary>
    public TickPorts Ports { get; init; }

    /// <summary>Why the engine cannot run this spec (validation or an unknown provider), or null.</summary>
    public string? Invalid { get; init; }

    /// <summary>What initialisation found: the primary's readiness and the metrics providers' health.</summary>
    public Initialization Initialization { get; init; }

    /// <summary>The target's current revision.</summary>
    public TargetRevision? Revision { get; init; }

    /// <summary>Whether the primary serves.</summary>
    public Readiness? PrimaryReadiness { get; init; }

    /// <summary>Whether the canary (the target) serves.</summary>
    public Readiness? CanaryReadiness { get; init; }

    /// <summary>The traffic split the router applies now.</summary>
    public TrafficRoutes? Routes { get; init; }

    /// <summary>The results of the <c>rollback</c> hooks, in order.</summary>
    public IReadOnlyList<HookCall>? RollbackHooks { get; init; }

    /// <summary>The gates asked for so far, by webhook type.</summary>
    public Gates Gates { get; init; }

    /// <summary>The analysis metrics, once asked for.</summary>
    public MetricsReading? Metrics { get; init; }

    /// <summary>The port call of this tick that failed, if one did; nothing after it was read.</summary>
    public PortFailure? Failure { get; init; }

    /// <summary>The call that failed on the canary's previous tick, when its ticks have been failing since <see cref="FailingSince"/>.</summary>
    public PortFailure? EarlierFailure { get; init; }

    /// <summary>Since when this canary's ticks have been failing, or null.</summary>
    public DateTimeOffset? FailingSince { get; init; }

    /// <summary>The canary's analysis (null for a spec without one).</summary>
    public CanaryAnalysis? Analysis => Canary.Spec.GetAnalysis();

    /// <summary>The target's kind (<c>Deployment</c>, <c>DaemonSet</c>).</summary>
    public string Kind => Canary.GetTargetKind();

    /// <summary><c>target.namespace</c>, as Flagger names the workload in several events.</summary>
    public string TargetId => $"{Canary.GetTargetName()}.{Canary.Namespace}";

    /// <summary>The revision to record when a run ends: the one read, or the one the status last recorded when the read failed.</summary>
    public TargetRevision RevisionOrRecorded =>
        Revision ?? new TargetRevision(Status.LastAppliedSpec ?? string.Empty, Status.TrackedConfigs ?? new Dictionary<string, string>());
}

/// <summary>The providers one canary uses, resolved by the names in its spec.</summary>
internal readonly record struct TickPorts(
    string Provider,
    IMeshRouter Router,
    RouterCapabilities Capabilities,
    ITargetController Target,
    IServiceRouter Services,
    IScalerReconciler? Scaler);

/// <summary>What initialisation observed.</summary>
/// <param name="Primary">The primary's readiness after it was created or checked.</param>
/// <param name="ProvidersChecked">Whether the metrics providers were asked if they answer (first initialisation only).</param>
/// <param name="OfflineProviders">Which did not answer, or null when all did.</param>
/// <param name="UnresolvedTemplate">A MetricTemplate reference that could not be used, or null.</param>
internal readonly record struct Initialization(Readiness? Primary, bool ProvidersChecked, string? OfflineProviders, string? UnresolvedTemplate);

/// <summary>One webhook call and its result.</summary>
internal sealed record HookCall(CanaryWebhook Hook, WebhookResult Result);

/// <summary>A gate's verdict: open, or closed by the first hook that failed.</summary>
/// <param name="ClosedBy">The hook that closed the gate; null when the gate is open.</param>
/// <param name="Error">Why it closed.</param>
internal sealed record GateResult(CanaryWebhook? ClosedBy, string Error)
{
    /// <summary>Every hook of the type answered success (or there are none).</summary>
    public static GateResult Open { get; } = new(null, string.Empty);

    /// <summary>True when the gate lets the canary on.</summary>
    public bool IsOpen => ClosedBy is null;
}

/// <summary>The gates asked for in one tick, by webhook type.</summary>
internal readonly record struct Gates(GateResult? ConfirmRollout, GateResult? PreRollout, GateResult? Rollout, GateResult? ConfirmTrafficIncrease, GateResult? ConfirmPromotion)
{
    /// <summary>The result for a gate type, or null when not asked for yet.</summary>
    public GateResult? Get(string type) => type switch
    {
        WebhookTypes.ConfirmRollout => ConfirmRollout,
        WebhookTypes.PreRollout => PreRollout,
        WebhookTypes.Rollout => Rollout,
        WebhookTypes.ConfirmTrafficIncrease => ConfirmTrafficIncrease,
        WebhookTypes.ConfirmPromotion => ConfirmPromotion,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "not a gate type"),
    };

    /// <summary>A copy with the result for <paramref name="type"/>.</summary>
    public Gates With(string type, GateResult result) => type switch
    {
        WebhookTypes.ConfirmRollout => this with { ConfirmRollout = result },
        WebhookTypes.PreRollout => this with { PreRollout = result },
        WebhookTypes.Rollout => this with { Rollout = result },
        WebhookTypes.ConfirmTrafficIncrease => this with { ConfirmTrafficIncrease = result },
        WebhookTypes.ConfirmPromotion => this with { ConfirmPromotion = result },
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "not a gate type"),
    };
}

/// <summary>The analysis metrics of one tick, checked in order until the first failure.</summary>
/// <param name="Failure">The first failed check (its event), or null when every metric passed.</param>
/// <param name="Values">The values observed, for the report and <c>/metrics</c>.</param>
/// <param name="ResolvedRefs">The <c>ResolvedRefs</c> problem to set, when a template could not be used.</param>
/// <param name="AllResolved">Every template was found and used: an earlier <c>ResolvedRefs</c> problem is over.</param>
/// <param name="Checks">Each metric checked, in order: its threshold verdict, or what a comparison read (judged by the decision).</param>
internal sealed record MetricsReading(CanaryEvent? Failure, IReadOnlyList<MetricObservation> Values, string? ResolvedRefs, bool AllResolved, IReadOnlyList<MetricCheck> Checks);

/// <summary>One metric checked in a tick.</summary>
/// <param name="Metric">The metric as the spec has it.</param>
/// <param name="Verdict">A threshold's verdict (<c>Pass</c>, <c>Fail</c>, <c>NoValues</c>, <c>Failed</c>); null for a comparison, which the decision judges.</param>
/// <param name="Value">The value the threshold judged, when there was one.</param>
/// <param name="Message">Why a threshold check did not pass.</param>
/// <param name="Comparison">What a comparison read, or null for a threshold.</param>
internal sealed record MetricCheck(CanaryMetric Metric, string? Verdict, double? Value, string? Message, ComparisonRead? Comparison);

/// <summary>
/// Both sides of a metric judged against the primary, as read in one tick: one of the three kinds of data, or no data,
/// or a failed read (then <see cref="MetricsReading.Failure"/> says so).
/// </summary>
/// <param name="Outcome">Whether the read gave data.</param>
/// <param name="Error">Why it gave none.</param>
/// <param name="Window">The window read.</param>
/// <param name="CanaryWeight">The canary's share of traffic during the window, in [0, 1].</param>
internal sealed record ComparisonRead(Metrics.MetricQueryOutcome Outcome, string? Error, Metrics.ComparisonWindow Window, double CanaryWeight)
{
    /// <summary>Request counts (a sequential success-rate comparison).</summary>
    public Metrics.ComparisonReading<Metrics.RequestCounts>? Counts { get; init; }

    /// <summary>Duration histograms (a sequential request-duration comparison).</summary>
    public Metrics.ComparisonReading<Metrics.LatencyHistogram>? Histograms { get; init; }

    /// <summary>Per-interval samples (a mann-whitney comparison).</summary>
    public Metrics.ComparisonReading<IReadOnlyList<double>>? Samples { get; init; }
}

/// <summary>
/// A port call that failed: which call, and what it said (the API server's message when there was one, bounded and
/// redacted). <paramref name="Internal"/> marks an exception that is a bug rather than an outage (a null reference,
/// say): its event names only the type, and its stack trace goes to the log.
/// </summary>
internal sealed record PortFailure(string Call, string Detail, Exception Exception, bool Internal, bool TargetMissing);

/// <summary>What the decision needs observed before it can decide.</summary>
internal enum NeedKind
{
    /// <summary>Nothing: the decision is made.</summary>
    None,

    /// <summary>The target's revision.</summary>
    Revision,

    /// <summary>The primary's readiness.</summary>
    PrimaryReadiness,

    /// <summary>The canary's readiness.</summary>
    CanaryReadiness,

    /// <summary>The router's current split.</summary>
    Routes,

    /// <summary>The rollback hooks' answers.</summary>
    RollbackHooks,

    /// <summary>A gate's hooks (<see cref="Need.GateType"/>).</summary>
    Gate,

    /// <summary>The analysis metrics.</summary>
    Metrics,
}

/// <summary>One read the decision asks for.</summary>
internal readonly record struct Need(NeedKind Kind, string? GateType = null)
{
    public static Need Gate(string type) => new(NeedKind.Gate, type);
}

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

/// <summary>
/// How the status changes, as pure functions. Each returns the same instance when nothing changes, so a tick
/// that changes nothing writes nothing.
/// </summary>
internal static class StatusTransitions
{
    /// <summary>Starts or ends a run on <paramref name="revision"/>: phase set, counters reset, revision recorded.</summary>
    public static CanaryStatus Sync(CanaryStatus status, CanaryPhase phase, TargetRevision revision, string kind, DateTimeOffset now, int canaryWeight = 0)
    {
        var next = status with
        {
            Phase = phase,
            CanaryWeight = canaryWeight,
            FailedChecks = 0,
            Iterations = 0,
            InconclusiveChecks = null,
            InconclusiveSince = null,

            // A new run gathers its evidence afresh; an ended run keeps its last verdicts to show.
            Metrics = phase == CanaryPhase.Progressing ? null : status.Metrics,
            LastAppliedSpec = revision.SpecHash,
            TrackedConfigs = revision.TrackedConfigs.Count > 0 ? revision.TrackedConfigs : null,
            LastPromotedSpec = phase == CanaryPhase.Initialized ? revision.SpecHash : status.LastPromotedSpec,
        };
        return Stamp(status, WithPromotedCondition(next, kind, now), now);
    }

    /// <summary>
    /// Moves to <paramref name="phase"/>. Phases that end or pause traffic shifting reset weight and iterations;
    /// WaitingPromotion keeps them, since the traffic split is unchanged while waiting.
    /// </summary>
    public static CanaryStatus SetPhase(CanaryStatus status, CanaryPhase phase, string kind, DateTimeOffset now)
    {
        var keepsProgress = phase is CanaryPhase.Progressing or CanaryPhase.Waiting or CanaryPhase.Promoting or CanaryPhase.WaitingPromotion;
        var next = status with
        {
            Phase = phase,
            CanaryWeight = keepsProgress ? status.CanaryWeight : 0,
            Iterations = keepsProgress ? status.Iterations : 0,
            LastPromotedSpec = phase is CanaryPhase.Initialized or CanaryPhase.Succeeded ? status.LastAppliedSpec : status.LastPromotedSpec,
        };
        return Stamp(status, WithPromotedCondition(next, kind, now), now);
    }

    /// <summary>Records the canary weight.</summary>
    public static CanaryStatus SetWeight(CanaryStatus status, int weight, DateTimeOffset now) =>
        Stamp(status, status with { CanaryWeight = weight }, now);

    /// <summary>Records the completed iterations.</summary>
    public static CanaryStatus SetIterations(CanaryStatus status, int iterations, DateTimeOffset now) =>
        Stamp(status, status with { Iterations = iterations }, now);

    /// <summary>Records the metrics' last checks (<c>status.metrics</c>).</summary>
    public static CanaryStatus SetMetrics(CanaryStatus status, IReadOnlyList<CanaryMetricStatus> metrics, DateTimeOffset now) =>
        metrics.Count == 0 && status.Metrics is null ? status : Stamp(status, status with { Metrics = metrics }, now);

    /// <summary>Records how many steps in a row were inconclusive and since when, or clears it.</summary>
    public static CanaryStatus SetInconclusive(CanaryStatus status, (int Count, DateTimeOffset Since)? held, DateTimeOffset now) =>
        held is null && status.InconclusiveChecks is null && status.InconclusiveSince is null
            ? status
            : Stamp(status, status with { InconclusiveChecks = held?.Count, InconclusiveSince = held?.Since }, now);

    /// <summary>Counts one more failed check.</summary>
    public static CanaryStatus AddFailedCheck(CanaryStatus status, DateTimeOffset now) =>
        Stamp(status, status with { FailedChecks = status.FailedChecks + 1 }, now);

    /// <summary>The reason of a <c>ResolvedRefs=False</c> condition whose target does not exist.</summary>
    public const string TargetNotFoundReason = "TargetNotFound";

    /// <summary>Sets or clears the <c>Valid</c> condition that reports a spec the engine cannot run.</summary>
    public static CanaryStatus SetValidity(CanaryStatus status, string? problem, DateTimeOffset now) =>
        SetProblem(status, CanaryCondition.ValidType, "InvalidSpec", problem, now);

    /// <summary>Sets or clears the <c>ResolvedRefs</c> condition that reports a MetricTemplate analysis could not use.</summary>
    public static CanaryStatus SetResolvedRefs(CanaryStatus status, string? problem, DateTimeOffset now) =>
        SetProblem(status, CanaryCondition.ResolvedRefsType, "MetricTemplateError", problem, now);

    /// <summary>
    /// Sets the <c>ResolvedRefs</c> condition that reports a missing target (reason <c>TargetNotFound</c>), or, with a
    /// null <paramref name="problem"/>, clears it; a MetricTemplate problem on the same condition is left alone.
    /// </summary>
    public static CanaryStatus SetTargetMissing(CanaryStatus status, string? problem, DateTimeOffset now) =>
        problem is null && Find(status.Conditions, CanaryCondition.ResolvedRefsType)?.Reason != TargetNotFoundReason
            ? status
            : SetProblem(status, CanaryCondition.ResolvedRefsType, TargetNotFoundReason, problem, now);

    private static CanaryStatus SetProblem(CanaryStatus status, string type, string reason, string? problem, DateTimeOffset now)
    {
        // Every tick of every canary passes here and almost always changes nothing: decide that without allocating.
        var current = Find(status.Conditions, type);
        var unchanged = problem is null ? current is null : current?.Message == problem;
        return unchanged ? status : ReplaceProblem(status, type, reason, problem, now);
    }

    // Apart from SetProblem: the lambda's closure is allocated on entry to the method that declares it, so the
    // common no-change path must not be that method.
    private static CanaryStatus ReplaceProblem(CanaryStatus status, string type, string reason, string? problem, DateTimeOffset now)
    {
        var others = (status.Conditions ?? []).Where(c => c.Type != type).ToList();
        if (problem is null)
        {
            return status with { Conditions = others };
        }

        others.Add(new CanaryCondition
        {
            Type = type,
            Status = "False",
            Reason = reason,
            Message = problem,
            LastUpdateTime = now,
            LastTransitionTime = now,
        });
        return status with { Conditions = others };
    }

    private static CanaryCondition? Find(IReadOnlyList<CanaryCondition>? conditions, string type)
    {
        if (conditions is null)
        {
            return null;
        }

        for (var i = 0; i < conditions.Count; i++)
        {
            if (conditions[i].Type == type)
            {
                return conditions[i];
            }
        }

        return null;
    }

    /// <summary>The Promoted condition's status and message for a phase.</summary>
    public static (string Status, string Message) PromotedCondition(CanaryPhase phase, string kind) => phase switch
    {
        CanaryPhase.Initializing => ("Unknown", $"New {kind} detected, starting initialization."),
        CanaryPhase.Initialized => ("True", $"{kind} initialization completed."),
        CanaryPhase.Waiting or CanaryPhase.WaitingPromotion => ("Unknown", "Waiting for approval."),
        CanaryPhase.Progressing => ("Unknown", "New revision detected, progressing canary analysis."),
        CanaryPhase.Promoting => ("Unknown", "Canary analysis completed, starting primary rolling update."),
        CanaryPhase.Finalising => ("Unknown", "Canary analysis completed, routing all traffic to primary."),
        CanaryPhase.Succeeded => ("True", "Canary analysis completed successfully, promotion finished."),
        CanaryPhase.Failed => ("False", $"Canary analysis failed, {kind} scaled to zero."),
        _ => ("Unknown", $"{phase}"),
    };

    // The condition is replaced only when its status or reason changes, keeping lastTransitionTime otherwise.
    private static CanaryStatus WithPromotedCondition(CanaryStatus status, string kind, DateTimeOffset now)
    {
        if (status.Phase is not { } phase)
        {
            return status;
        }

        var (conditionStatus, message) = PromotedCondition(phase, kind);
        var reason = phase.ToString();
        var existing = status.Conditions?.FirstOrDefault(c => c.Type == CanaryCondition.PromotedType);
        if (existing is not null && existing.Status == conditionStatus && existing.Reason == reason)
        {
            return status;
        }

        var condition = new CanaryCondition
        {
            Type = CanaryCondition.PromotedType,
            Status = conditionStatus,
            Reason = reason,
            Message = message,
            LastUpdateTime = now,
            LastTransitionTime = existing is not null && existing.Status == conditionStatus ? existing.LastTransitionTime : now,
        };
        var conditions = (status.Conditions ?? []).Where(c => c.Type != CanaryCondition.PromotedType).Prepend(condition).ToList();
        return status with { Conditions = conditions };
    }

    private static CanaryStatus Stamp(CanaryStatus before, CanaryStatus after, DateTimeOffset now) =>
        after.Equals(before) ? before : after with { LastTransitionTime = now };
}
