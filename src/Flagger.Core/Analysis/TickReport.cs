using Flagger.Events;
using Flagger.Model;
using Flagger.Routing;

namespace Flagger.Analysis;

/// <summary>What one tick did: the host turns it into metrics and logs.</summary>
public sealed record TickReport
{
    /// <summary>The canary as it stands after the tick (null when it no longer exists).</summary>
    public Canary? Canary { get; init; }

    /// <summary>Events recorded during the tick, in order.</summary>
    public IReadOnlyList<CanaryEvent> Events { get; init; } = [];

    /// <summary>The traffic split last read or applied, when the tick reached the router.</summary>
    public TrafficRoutes? Routes { get; init; }

    /// <summary>Metric values observed (request-duration in seconds, as Flagger exports it).</summary>
    public IReadOnlyList<MetricObservation> Metrics { get; init; } = [];

    /// <summary>How the run ended in this tick, if it did.</summary>
    public RunOutcome Outcome { get; init; }

    /// <summary>Whether the tick wrote the status.</summary>
    public bool StatusWritten { get; init; }

    /// <summary>
    /// The port call that failed this tick (routes, target, status or a read), with the reason the event gave; null
    /// when none did. A failure that persists past the canary's progress deadline while it has traffic rolls it back.
    /// </summary>
    public string? Failure { get; init; }

    /// <summary>Best-effort calls of the tick that failed or timed out: events, event webhooks, alerts, post-rollout hooks.</summary>
    public IReadOnlyList<EffectFailure> EffectFailures { get; init; } = [];

    /// <summary>The phase after the tick.</summary>
    public CanaryPhase? Phase => Canary?.Status?.Phase;
}

/// <summary>One metric value observed in a tick.</summary>
/// <param name="Name">Metric name.</param>
/// <param name="Value">Value (request-duration in seconds).</param>
public sealed record MetricObservation(string Name, double Value);

/// <summary>A best-effort call that failed; the tick went on without it.</summary>
/// <param name="Kind">What it was: <c>event</c>, <c>event webhook</c>, <c>alert</c> or <c>post-rollout hook</c>.</param>
/// <param name="Name">The hook's or alert's name, or the event's text.</param>
/// <param name="Error">Why it failed (a timeout says so).</param>
public sealed record EffectFailure(string Kind, string Name, string Error);

/// <summary>How a run ended.</summary>
public enum RunOutcome
{
    /// <summary>Not ended in this tick.</summary>
    None,

    /// <summary>Promoted after the analysis.</summary>
    Promoted,

    /// <summary>Promoted without analysis (skipAnalysis).</summary>
    PromotedWithoutAnalysis,

    /// <summary>Rolled back.</summary>
    RolledBack,

    /// <summary>The promoted primary did not become ready; traffic went to the canary.</summary>
    PromotionFailed,
}
