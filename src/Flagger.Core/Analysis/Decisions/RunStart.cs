using Flagger.Model;
using Flagger.Notifications;

namespace Flagger.Analysis.Decisions;

/// <summary>The start of a run (Waiting, or a new revision of a settled canary) and the manual rollback hooks.</summary>
internal static class RunStart
{
    /// <summary>
    /// A new revision waits at the confirm-rollout gate (a rollback hook may abort it there), then the target is
    /// scaled up and the run starts Progressing. The analysis itself starts on the next tick.
    /// </summary>
    public static Decision Start(in Observation o, ref Plan plan)
    {
        // Read first: a run that ends here, rolled back from Waiting, records the revision it refused.
        if (o.Revision is not { } revision)
        {
            return Plan.Observe(new Need(NeedKind.Revision));
        }

        var gates = Annotated(o);
        if (plan.Status.Phase == CanaryPhase.Waiting && gates.AbortRequested)
        {
            return Abort(o, ref plan);
        }

        if (plan.Status.Phase == CanaryPhase.Waiting && RollbackRequested(o, ref plan) is { } requested)
        {
            return requested;
        }

        if (gates.RolloutClosed)
        {
            return WaitAtGate(ref plan, PausedGate, CanaryPhase.Waiting, "Canary is waiting for approval.", $"Halt {o.Canary.Id} advancement waiting for approval {GateAnnotations.Rollout}");
        }

        if (Gate(o, WebhookTypes.ConfirmRollout) is not { } gate)
        {
            return Plan.Observe(Need.Gate(WebhookTypes.ConfirmRollout));
        }

        if (!gate.IsOpen)
        {
            return WaitAtGate(ref plan, gate, CanaryPhase.Waiting, "Canary is waiting for approval.", $"Halt {o.Canary.Id} advancement waiting for approval {gate.ClosedBy!.Name}");
        }

        Passed(o, ref plan, WebhookTypes.ConfirmRollout, "Confirm-rollout");
        plan.Info($"New revision detected! Scaling up {o.TargetId}");
        TickDecisions.SayIfIntervalRaised(o, ref plan);
        plan.Alert("New revision detected, progressing canary analysis.", AlertSeverity.Info, withMetadata: true);
        if (o.Ports.Scaler is not null)
        {
            plan.Act(TargetAction.ResumeTargetScaler);
        }

        plan.Act(TargetAction.ScaleFromZero);
        plan.Sync(CanaryPhase.Progressing, revision);
        return plan.Done();
    }

    /// <summary>
    /// The rollback decided by a <c>rollback</c> hook that answers success (the load tester's <c>/rollback/open</c>),
    /// or null when none does.
    /// </summary>
    public static Decision? RollbackRequested(in Observation o, ref Plan plan)
    {
        if (!HasHooks(o, WebhookTypes.Rollback))
        {
            return null;
        }

        if (o.RollbackHooks is not { } calls)
        {
            return Plan.Observe(new Need(NeedKind.RollbackHooks));
        }

        foreach (var call in calls)
        {
            if (!call.Result.Succeeded)
            {
                plan.Info($"Rollback hook {call.Hook.Name} not signaling a rollback");
                continue;
            }

            plan.Warn($"Rollback check {call.Hook.Name} passed");
            plan.Warn($"Rolling back {o.Canary.Id} manual webhook invoked");
            plan.Alert("Rolling back manual webhook invoked", AlertSeverity.Warn);
            return RunEndings.RollBack(o, ref plan);
        }

        return null;
    }

    /// <summary>
    /// The gates set by annotations on the Canary (<c>flagger promote</c>, <c>pause</c>, <c>abort</c>, <c>retry</c>); none
    /// without reading further when the Canary carries none of them, as on almost every tick.
    /// </summary>
    public static CanaryGates Annotated(in Observation o)
    {
        var annotations = o.Canary.Metadata.Annotations;
        if (annotations is null
            || !(annotations.ContainsKey(GateAnnotations.Rollout) || annotations.ContainsKey(GateAnnotations.Promote)
                || annotations.ContainsKey(GateAnnotations.Abort) || annotations.ContainsKey(GateAnnotations.Retry)))
        {
            return CanaryGates.None;
        }

        return GateAnnotations.Read(annotations, o.Status);
    }

    /// <summary>An abort requested with the <c>flagger.app/gate-abort</c> annotation: a rollback, said as such.</summary>
    public static Decision Abort(in Observation o, ref Plan plan)
    {
        plan.Warn($"Rolling back {o.Canary.Id} abort requested ({GateAnnotations.Abort})");
        plan.Alert("Rolling back: abort requested", AlertSeverity.Warn);
        return RunEndings.RollBack(o, ref plan);
    }

    /// <summary>
    /// A Failed canary whose <c>flagger.app/retry</c> annotation names this failure: its analysis starts over on the
    /// same revision, the target scaled up again as for a new one.
    /// </summary>
    public static Decision Retry(in Observation o, ref Plan plan, Targets.TargetRevision revision)
    {
        plan.Info($"Retry requested ({GateAnnotations.Retry}): restarting the analysis of {o.TargetId}");
        if (o.Ports.Scaler is not null)
        {
            plan.Act(TargetAction.ResumeTargetScaler);
        }

        plan.Act(TargetAction.ScaleFromZero);
        plan.Sync(CanaryPhase.Progressing, revision);
        return plan.Done();
    }

    // The confirm-rollout gate as the pause annotation closes it.
    private static readonly GateResult PausedGate = new(new CanaryWebhook { Name = GateAnnotations.Rollout, Type = WebhookTypes.ConfirmRollout }, GateAnnotations.Closed);

    /// <summary>
    /// A closed approval gate: the canary waits in <paramref name="waiting"/> (alerting once, on entering it, unless the
    /// hook mutes alerts) and says what it waits for on every tick.
    /// </summary>
    public static Decision WaitAtGate(ref Plan plan, GateResult gate, CanaryPhase waiting, string alert, string halt)
    {
        if (plan.Status.Phase != waiting)
        {
            plan.SetPhase(waiting);
            if (!gate.ClosedBy!.MuteAlert)
            {
                plan.Alert(alert, AlertSeverity.Warn);
            }
        }

        plan.Warn(halt);
        return plan.Done();
    }

    /// <summary>The gate's result: open at once when the canary has no hook of the type, else what the hooks said (null: ask).</summary>
    public static GateResult? Gate(in Observation o, string type) =>
        HasHooks(o, type) ? o.Gates.Get(type) : GateResult.Open;

    /// <summary>One <c>"{label} check {name} passed"</c> event per hook of an open gate.</summary>
    public static void Passed(in Observation o, ref Plan plan, string type, string label)
    {
        foreach (var hook in o.Analysis?.Webhooks ?? [])
        {
            if (WebhookTypes.Of(hook) == type)
            {
                plan.Info($"{label} check {hook.Name} passed");
            }
        }
    }

    /// <summary>Whether the canary has a webhook of <paramref name="type"/>.</summary>
    public static bool HasHooks(in Observation o, string type)
    {
        // A loop, not Any(): this runs on every tick, and Any over the interface allocates an enumerator.
        if (o.Analysis?.Webhooks is not { } hooks)
        {
            return false;
        }

        for (var i = 0; i < hooks.Count; i++)
        {
            if (WebhookTypes.Of(hooks[i]) == type)
            {
                return true;
            }
        }

        return false;
    }
}
