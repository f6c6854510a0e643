using System.Text.Json;
using System.Text.Json.Serialization;

namespace Flagger.Model;

/// <summary>The Canary's <c>spec.analysis</c>: how each revision is validated. Defaults live in <see cref="AnalysisDefaults"/>.</summary>
public sealed record CanaryAnalysis
{
    /// <summary>Tick period, a duration such as <c>1m</c> (default 60s, at least 10s).</summary>
    public string? Interval { get; init; }

    /// <summary>Number of iterations for Blue/Green and A/B testing.</summary>
    public int Iterations { get; init; }

    /// <summary>Mirror traffic to the canary during the analysis (Istio).</summary>
    public bool Mirror { get; init; }

    /// <summary>Share of traffic mirrored, 0–100 (0 means all).</summary>
    public int MirrorWeight { get; init; }

    /// <summary>Highest canary weight before promotion (default 100).</summary>
    public int MaxWeight { get; init; }

    /// <summary>Canary weight increment per successful tick.</summary>
    public int StepWeight { get; init; }

    /// <summary>Explicit weight sequence, used instead of <see cref="StepWeight"/>.</summary>
    public IReadOnlyList<int>? StepWeights { get; init; }

    /// <summary>Primary weight increment per tick during promotion (0 routes everything at once).</summary>
    public int StepWeightPromotion { get; init; }

    /// <summary>Failed checks before rollback (default 1).</summary>
    public int Threshold { get; init; }

    /// <summary>Percentage of primary replicas that must be available (default 100).</summary>
    public int? PrimaryReadyThreshold { get; init; }

    /// <summary>Percentage of canary replicas that must be available (default 100).</summary>
    public int? CanaryReadyThreshold { get; init; }

    /// <summary>Alerts sent to AlertProviders.</summary>
    public IReadOnlyList<CanaryAlert>? Alerts { get; init; }

    /// <summary>Metric checks run on every analysis tick.</summary>
    public IReadOnlyList<CanaryMetric>? Metrics { get; init; }

    /// <summary>Webhooks: gates, load tests, notifications.</summary>
    public IReadOnlyList<CanaryWebhook>? Webhooks { get; init; }

    /// <summary>A/B testing match conditions (Istio HTTPMatchRequest shape).</summary>
    public JsonElement? Match { get; init; }

    /// <summary>Cookie-based session affinity for canary users.</summary>
    public SessionAffinity? SessionAffinity { get; init; }

    /// <summary>
    /// Inconclusive comparison verdicts in a row after which the step advances as if it had passed: no regression
    /// was found, and a sequential test keeps its evidence at the next weight. Unset, an inconclusive canary holds
    /// its weight until the progress deadline rolls it back.
    /// </summary>
    public int? MaxInconclusive { get; init; }
}

/// <summary>One metric check of the analysis.</summary>
public sealed record CanaryMetric
{
    /// <summary>Metric name; <c>request-success-rate</c> and <c>request-duration</c> are builtin.</summary>
    public string? Name { get; init; }

    /// <summary>Query window, such as <c>1m</c> (default 1m).</summary>
    public string? Interval { get; init; }

    /// <summary>Deprecated single threshold: a minimum for success rate, a maximum otherwise.</summary>
    public double? Threshold { get; init; }

    /// <summary>Accepted range of the value.</summary>
    public ThresholdRange? ThresholdRange { get; init; }

    /// <summary>Deprecated inline PromQL query.</summary>
    public string? Query { get; init; }

    /// <summary>MetricTemplate holding provider and query.</summary>
    public ObjectReference? TemplateRef { get; init; }

    /// <summary>Values for <c>{{ variables.key }}</c> in the template.</summary>
    public IReadOnlyDictionary<string, string>? TemplateVariables { get; init; }

    /// <summary>Judge the metric against the primary instead of against a fixed bound.</summary>
    public MetricComparison? Comparison { get; init; }
}

/// <summary>Accepted range of a metric value; either bound may be absent.</summary>
public sealed record ThresholdRange
{
    /// <summary>Lowest accepted value.</summary>
    public double? Min { get; init; }

    /// <summary>Highest accepted value.</summary>
    public double? Max { get; init; }
}

/// <summary>A webhook called during the analysis.</summary>
public sealed record CanaryWebhook
{
    /// <summary>Hook type (<see cref="WebhookTypes"/>); <c>rollout</c> when empty.</summary>
    public string? Type { get; init; }

    /// <summary>Hook name, used in events.</summary>
    public string? Name { get; init; }

    /// <summary>Address the payload is POSTed to.</summary>
    public string? Url { get; init; }

    /// <summary>Do not send alerts when this gate is closed.</summary>
    public bool MuteAlert { get; init; }

    /// <summary>Per-call timeout (default 10s).</summary>
    public string? Timeout { get; init; }

    /// <summary>Retries after a failed call.</summary>
    public int Retries { get; init; }

    /// <summary>Skip TLS certificate verification.</summary>
    [JsonPropertyName("disableTLS")]
    public bool DisableTls { get; init; }

    /// <summary>Extra values sent in the payload's metadata.</summary>
    public IReadOnlyDictionary<string, string>? Metadata { get; init; }
}

/// <summary>The webhook types Flagger knows.</summary>
public static class WebhookTypes
{
    /// <summary>Gate before a new revision is scaled up.</summary>
    public const string ConfirmRollout = "confirm-rollout";

    /// <summary>Runs once before any traffic reaches the canary.</summary>
    public const string PreRollout = "pre-rollout";

    /// <summary>Runs on every analysis tick before the metrics.</summary>
    public const string Rollout = "rollout";

    /// <summary>Gate before each weight increase.</summary>
    public const string ConfirmTrafficIncrease = "confirm-traffic-increase";

    /// <summary>Gate before the spec is copied to the primary.</summary>
    public const string ConfirmPromotion = "confirm-promotion";

    /// <summary>Runs after promotion or rollback.</summary>
    public const string PostRollout = "post-rollout";

    /// <summary>Rolls back when it answers success.</summary>
    public const string Rollback = "rollback";

    /// <summary>Receives every event of the canary.</summary>
    public const string Event = "event";

    /// <summary>A hook's type; a hook without one is a <c>rollout</c> hook.</summary>
    internal static string Of(CanaryWebhook hook) => string.IsNullOrEmpty(hook.Type) ? Rollout : hook.Type;

    /// <summary>All known types.</summary>
    public static IReadOnlyList<string> All { get; } =
        [ConfirmRollout, PreRollout, Rollout, ConfirmTrafficIncrease, ConfirmPromotion, PostRollout, Rollback, Event];
}

/// <summary>An alert of the canary, sent through an AlertProvider.</summary>
public sealed record CanaryAlert
{
    /// <summary>Alert name.</summary>
    public string? Name { get; init; }

    /// <summary><c>info</c>, <c>warn</c> or <c>error</c>; empty means <c>info</c>.</summary>
    public string? Severity { get; init; }

    /// <summary>The AlertProvider to post through.</summary>
    public ObjectReference? ProviderRef { get; init; }
}

/// <summary>Session affinity settings (Istio, Gateway API).</summary>
public sealed record SessionAffinity
{
    /// <summary>Cookie that pins a user to the canary.</summary>
    public string? CookieName { get; init; }

    /// <summary>Cookie that pins a user to the primary.</summary>
    public string? PrimaryCookieName { get; init; }

    /// <summary>Cookie lifetime in seconds (default 86400).</summary>
    public int MaxAge { get; init; }

    /// <summary>Cookie domain.</summary>
    public string? Domain { get; init; }

    /// <summary>Cookie path.</summary>
    public string? Path { get; init; }

    /// <summary>HttpOnly attribute.</summary>
    public bool HttpOnly { get; init; }

    /// <summary>Secure attribute.</summary>
    public bool Secure { get; init; }

    /// <summary>Strict, Lax or None.</summary>
    public string? SameSite { get; init; }

    /// <summary>Partitioned attribute.</summary>
    public bool Partitioned { get; init; }
}
