using Flagger.Model;
using Flagger.Targets;

namespace Flagger.Analysis.Decisions;

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
