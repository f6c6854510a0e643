using System.Text.Json;
using System.Text.Json.Serialization;

namespace Flagger.Model;

/// <summary>The phases of a canary, with Flagger's names.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<CanaryPhase>))]
public enum CanaryPhase
{
    /// <summary>The primary is being created.</summary>
    Initializing,

    /// <summary>The primary runs the target's spec and receives all traffic.</summary>
    Initialized,

    /// <summary>A new revision waits for confirm-rollout approval.</summary>
    Waiting,

    /// <summary>The analysis is running.</summary>
    Progressing,

    /// <summary>The analysis completed and waits for confirm-promotion approval.</summary>
    WaitingPromotion,

    /// <summary>The canary spec is being rolled out to the primary.</summary>
    Promoting,

    /// <summary>Traffic is back on the primary; the canary is scaled down next.</summary>
    Finalising,

    /// <summary>The last revision was promoted.</summary>
    Succeeded,

    /// <summary>The last revision was rolled back.</summary>
    Failed,

    /// <summary>The Canary is being deleted and its changes reverted.</summary>
    Terminating,

    /// <summary>The Canary's changes were reverted.</summary>
    Terminated,
}

/// <summary>The Canary's <c>status</c>.</summary>
public sealed record CanaryStatus
{
    /// <summary>Current phase; absent on a new Canary.</summary>
    public CanaryPhase? Phase { get; init; }

    /// <summary>Failed checks in this run (cumulative, reset when a run starts or ends).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)] // written even when 0, as Flagger does: kubectl columns and jq read it
    public int FailedChecks { get; init; }

    /// <summary>Traffic percentage on the canary.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)] // written even when 0, as Flagger does: kubectl columns and jq read it
    public int CanaryWeight { get; init; }

    /// <summary>Iterations completed (Blue/Green, A/B).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)] // written even when 0, as Flagger does: kubectl columns and jq read it
    public int Iterations { get; init; }

    /// <summary>Session-affinity cookie of the previous run, expired by the router.</summary>
    public string? PreviousSessionAffinityCookie { get; init; }

    /// <summary>Session-affinity cookie pinning users to the canary.</summary>
    public string? SessionAffinityCookie { get; init; }

    /// <summary>Session-affinity cookie pinning users to the primary.</summary>
    public string? PrimarySessionAffinityCookie { get; init; }

    /// <summary>Checksums of tracked ConfigMaps and Secrets (<c>configmap/name</c>, <c>secret/name</c>).</summary>
    public IReadOnlyDictionary<string, string>? TrackedConfigs { get; init; }

    /// <summary>Hash of the target spec at the last sync.</summary>
    public string? LastAppliedSpec { get; init; }

    /// <summary>Hash of the spec the primary runs.</summary>
    public string? LastPromotedSpec { get; init; }

    /// <summary>When the status last changed.</summary>
    public DateTimeOffset? LastTransitionTime { get; init; }

    /// <summary>Conditions; Flagger keeps one of type <c>Promoted</c>.</summary>
    public IReadOnlyList<CanaryCondition>? Conditions { get; init; }

    /// <summary>Each analysis metric's last check: verdict, value, what a comparison rests on, and a short history.</summary>
    public IReadOnlyList<CanaryMetricStatus>? Metrics { get; init; }

    /// <summary>Analysis steps in a row whose comparisons were inconclusive (absent when the last one was not).</summary>
    public int? InconclusiveChecks { get; init; }

    /// <summary>Since when the weight has been held by inconclusive comparisons.</summary>
    public DateTimeOffset? InconclusiveSince { get; init; }

    /// <summary>Compares by content, collections included, so an unchanged status is never written.</summary>
    public bool Equals(CanaryStatus? other) =>
        ReferenceEquals(this, other) // an idle tick hands back the status it read: no need to walk its collections
        || (other is not null
        && Phase == other.Phase
        && FailedChecks == other.FailedChecks
        && CanaryWeight == other.CanaryWeight
        && Iterations == other.Iterations
        && PreviousSessionAffinityCookie == other.PreviousSessionAffinityCookie
        && SessionAffinityCookie == other.SessionAffinityCookie
        && PrimarySessionAffinityCookie == other.PrimarySessionAffinityCookie
        && LastAppliedSpec == other.LastAppliedSpec
        && LastPromotedSpec == other.LastPromotedSpec
        && LastTransitionTime == other.LastTransitionTime
        && SameConfigs(TrackedConfigs, other.TrackedConfigs)
        && (Conditions ?? []).SequenceEqual(other.Conditions ?? [])
        && InconclusiveChecks == other.InconclusiveChecks
        && InconclusiveSince == other.InconclusiveSince
        && (Metrics ?? []).SequenceEqual(other.Metrics ?? []));

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Phase, FailedChecks, CanaryWeight, Iterations, LastAppliedSpec);

    private static bool SameConfigs(IReadOnlyDictionary<string, string>? a, IReadOnlyDictionary<string, string>? b)
    {
        if ((a?.Count ?? 0) != (b?.Count ?? 0))
        {
            return false;
        }

        return a is null || a.All(kv => b!.TryGetValue(kv.Key, out var v) && v == kv.Value);
    }
}

/// <summary>A status condition.</summary>
public sealed record CanaryCondition
{
    /// <summary>The condition type Flagger maintains.</summary>
    public const string PromotedType = "Promoted";

    /// <summary>The condition type this project adds for a spec that cannot run.</summary>
    public const string ValidType = "Valid";

    /// <summary>
    /// The condition type this project adds for a reference analysis could not resolve (a MetricTemplate that does
    /// not exist or cannot be used); status <c>False</c> with the metric's field and the template in the message.
    /// </summary>
    public const string ResolvedRefsType = "ResolvedRefs";

    /// <summary>Condition type.</summary>
    public string Type { get; init; } = PromotedType;

    /// <summary><c>True</c>, <c>False</c> or <c>Unknown</c>.</summary>
    public string Status { get; init; } = "Unknown";

    /// <summary>When the condition was last updated.</summary>
    public DateTimeOffset? LastUpdateTime { get; init; }

    /// <summary>When the status last changed.</summary>
    public DateTimeOffset? LastTransitionTime { get; init; }

    /// <summary>Machine-readable reason; the phase name for Promoted.</summary>
    public string? Reason { get; init; }

    /// <summary>Human-readable message.</summary>
    public string? Message { get; init; }
}
