using Flagger.Events;
using Flagger.Model;
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
