using System.Globalization;

namespace Flagger.Model;

/// <summary>
/// The manual gates a person (or <c>flagger promote|pause|resume|abort|retry</c>) sets as annotations on a Canary, and
/// the pure reading of them against the canary's status. The load tester's <c>/gate/*</c> and <c>/rollback/*</c>
/// webhooks keep working beside them; an annotation only adds a way to open or close a gate.
/// </summary>
/// <remarks>
/// <para>
/// Each gate that acts once names what it acts on, so an annotation left behind never acts on a later revision or a
/// later failure: <see cref="Promote"/> and <see cref="Abort"/> carry the revision (<c>status.lastAppliedSpec</c>) the
/// person saw, and <see cref="Retry"/> carries the time of the failure (<c>status.lastTransitionTime</c> of the
/// <c>Failed</c> phase). The engine never has to remove an annotation.
/// </para>
/// <list type="table">
/// <item><term><c>flagger.app/gate-rollout: closed</c></term><description>Pause: the confirm-rollout gate is closed;
/// a new revision waits, a running analysis holds its weight (phase <c>Waiting</c>). Removing it (resume) hands the
/// gate back to the confirm-rollout webhooks, open when there are none.</description></item>
/// <item><term><c>flagger.app/gate-promote: REVISION</c></term><description>The confirm-promotion gate is open for
/// that revision, whatever the confirm-promotion webhooks answer.</description></item>
/// <item><term><c>flagger.app/gate-abort: REVISION</c></term><description>Roll that revision back at the next tick,
/// as the rollback webhook does.</description></item>
/// <item><term><c>flagger.app/retry: TIME</c></term><description>Run the analysis of the failed revision again, from
/// weight 0, if the canary is still in the failure that happened at TIME.</description></item>
/// </list>
/// </remarks>
public static class GateAnnotations
{
    /// <summary>The confirm-rollout gate: <see cref="Closed"/> pauses the canary.</summary>
    public const string Rollout = "flagger.app/gate-rollout";

    /// <summary>The confirm-promotion gate, opened for the revision named by the value.</summary>
    public const string Promote = "flagger.app/gate-promote";

    /// <summary>A rollback of the revision named by the value.</summary>
    public const string Abort = "flagger.app/gate-abort";

    /// <summary>A new analysis of the failed revision, for the failure whose time is the value.</summary>
    public const string Retry = "flagger.app/retry";

    /// <summary>The value of <see cref="Rollout"/> that closes the confirm-rollout gate.</summary>
    public const string Closed = "closed";

    private const string TimeFormat = "yyyy-MM-dd'T'HH:mm:ss'Z'";

    /// <summary>The value <see cref="Promote"/> and <see cref="Abort"/> take for the revision the canary runs now.</summary>
    /// <param name="status">The canary's status.</param>
    /// <returns>The revision, or null while the canary has none (not yet initialised).</returns>
    public static string? RevisionOf(CanaryStatus? status) =>
        string.IsNullOrEmpty(status?.LastAppliedSpec) ? null : status.LastAppliedSpec;

    /// <summary>The value <see cref="Retry"/> takes for the failure the canary is in now.</summary>
    /// <param name="status">The canary's status.</param>
    /// <returns>The failure's time as Kubernetes writes it, or null unless the canary is <c>Failed</c>.</returns>
    public static string? FailureOf(CanaryStatus? status) =>
        status is { Phase: CanaryPhase.Failed, LastTransitionTime: { } at } ? at.UtcDateTime.ToString(TimeFormat, CultureInfo.InvariantCulture) : null;

    /// <summary>
    /// Which manual gates are set on a canary now: each annotation counts only for the revision or failure it names,
    /// and only in the phases where its gate exists.
    /// </summary>
    /// <param name="annotations">The Canary's <c>metadata.annotations</c>.</param>
    /// <param name="status">The Canary's status.</param>
    /// <returns>The gates; <see cref="CanaryGates.None"/> when no annotation applies.</returns>
    public static CanaryGates Read(IReadOnlyDictionary<string, string>? annotations, CanaryStatus? status)
    {
        if (annotations is null || annotations.Count == 0)
        {
            return CanaryGates.None;
        }

        var phase = status?.Phase;
        var revision = RevisionOf(status);
        var running = phase is CanaryPhase.Progressing or CanaryPhase.Waiting or CanaryPhase.WaitingPromotion;
        var failure = FailureOf(status);
        return new CanaryGates
        {
            RolloutClosed = Value(annotations, Rollout) is { } rollout && string.Equals(rollout.Trim(), Closed, StringComparison.OrdinalIgnoreCase),
            PromotionOpen = running && revision is not null && Value(annotations, Promote) == revision,
            AbortRequested = running && revision is not null && Value(annotations, Abort) == revision,
            RetryRequested = failure is not null && SameTime(Value(annotations, Retry), failure),
        };
    }

    private static string? Value(IReadOnlyDictionary<string, string> annotations, string key) =>
        annotations.TryGetValue(key, out var value) && !string.IsNullOrWhiteSpace(value) ? value.Trim() : null;

    // A person may write the time by hand with an offset or fractions; the instant is what counts.
    private static bool SameTime(string? written, string failure) =>
        written is not null
        && DateTimeOffset.TryParse(written, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)
        && at.UtcDateTime.ToString(TimeFormat, CultureInfo.InvariantCulture) == failure;
}

/// <summary>The manual gates set on a canary, as <see cref="GateAnnotations.Read"/> finds them.</summary>
public sealed record CanaryGates
{
    /// <summary>No manual gate set.</summary>
    public static CanaryGates None { get; } = new();

    /// <summary>Paused: a new revision must not start and a running analysis must hold its weight.</summary>
    public bool RolloutClosed { get; init; }

    /// <summary>The confirm-promotion gate is open for the revision under analysis.</summary>
    public bool PromotionOpen { get; init; }

    /// <summary>The revision under analysis must be rolled back.</summary>
    public bool AbortRequested { get; init; }

    /// <summary>The failed revision's analysis must run again from weight 0.</summary>
    public bool RetryRequested { get; init; }
}
