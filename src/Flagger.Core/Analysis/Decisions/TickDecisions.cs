// The decide stage, phase by phase: TickDecisions (the gates in Flagger's order), RunStart (a run begins, gates and
// annotations), RevisionDecisions (is this revision new), RunEndings (promotion, finalising and the one rollback).

using Flagger.Model;
using Flagger.Notifications;
using Flagger.Routing;
using Flagger.Targets;

namespace Flagger.Analysis.Decisions;

/// <summary>
/// What a tick does, as a pure function of what it observed. Each call either asks for one more read (the engine
/// makes it and calls again with the richer observation) or returns the whole transition; nothing here performs
/// I/O, so every branch can be tested alone and re-run safely.
/// </summary>
/// <remarks>
/// The gates, in Flagger's order: validity, suspension, a failed port call, initialisation, new-revision detection,
/// primary readiness, routes, the start of a run (confirm-rollout), a restart on a newer revision, canary readiness,
/// skip-analysis, rollback hooks, the promotion traffic shift, finalising, the failed-checks threshold, the analysis
/// (hooks and metrics) and the traffic step of the strategy.
/// </remarks>
internal static class TickDecisions
{
    public static Decision Decide(in Observation o)
    {
        var plan = new Plan(o);
        if (o.Invalid is { } problem)
        {
            plan.Status = StatusTransitions.SetValidity(o.Status, problem, o.Now);
            if (!ReferenceEquals(plan.Status, o.Status))
            {
                plan.Warn(problem);
            }

            return plan.Done();
        }

        plan.Status = StatusTransitions.SetValidity(o.Status, null, o.Now);
        if (o.Canary.Spec.Suspend)
        {
            plan.Info("skipping canary run as object is suspended");
            return plan.Done();
        }

        if (Escalate(o, ref plan) is { } escalated)
        {
            return escalated;
        }

        if (o.Failure is { } failure)
        {
            return Failed(o, ref plan, failure);
        }

        if (Initializing(o, ref plan) is { } initializing)
        {
            return initializing;
        }

        return plan.Status.Phase is CanaryPhase.Initialized or CanaryPhase.Succeeded or CanaryPhase.Failed
            ? Settled(o, ref plan)
            : Ready(o, ref plan);
    }

    // Initializing: the observer created the primary, the Services and the mesh objects; once the primary serves,
    // the canary is Initialized on the target's revision. Before the first promotion there is nothing to roll back to.
    private static Decision? Initializing(in Observation o, ref Plan plan)
    {
        var init = o.Initialization;
        var initializing = o.Status.Phase is null or CanaryPhase.Initializing;
        if (o.Status.Phase is null)
        {
            plan.SetPhase(CanaryPhase.Initializing);
        }

        if (init.ProvidersChecked)
        {
            plan.Status = StatusTransitions.SetResolvedRefs(plan.Status, init.UnresolvedTemplate, o.Now);
            if (init.OfflineProviders is null)
            {
                plan.Info("all the metrics providers are available!");
            }
            else
            {
                plan.Error($"Error checking metric providers: {init.OfflineProviders}");
            }
        }

        plan.Status = StatusTransitions.SetTargetMissing(plan.Status, null, o.Now);
        if (init.Primary is { IsReady: false } primary)
        {
            plan.Warn(primary.Reason!);
            return plan.Done();
        }

        if (!initializing)
        {
            return null;
        }

        if (o.Revision is not { } revision)
        {
            return Plan.Observe(new Need(NeedKind.Revision));
        }

        plan.Sync(CanaryPhase.Initialized, revision);
        plan.Info($"Initialization done! {o.Canary.Id}");
        SayIfIntervalRaised(o, ref plan);
        plan.Alert($"New {o.Kind} detected, initialization completed.", AlertSeverity.Info, withMetadata: true);
        return plan.Done();
    }

    // Initialized, Succeeded, Failed: nothing to do until the target runs a revision not seen yet.
    private static Decision Settled(in Observation o, ref Plan plan)
    {
        if (o.Revision is not { } revision)
        {
            return Plan.Observe(new Need(NeedKind.Revision));
        }

        if (RevisionDecisions.IsNewRevision(plan.Status, revision))
        {
            return Ready(o, ref plan);
        }

        if (plan.Status is not { Phase: CanaryPhase.Failed, CanaryWeight: 0 })
        {
            return plan.Done();
        }

        if (RunStart.Annotated(o).RetryRequested)
        {
            return RunStart.Retry(o, ref plan, revision);
        }

        // A rolled-back canary keeps its traffic on the primary: a route that drifted back (an external edit, a
        // rollback whose route write was lost) is corrected on every tick until the router takes it.
        if (o.Routes is not { } routes)
        {
            return Plan.Observe(new Need(NeedKind.Routes));
        }

        if (routes.CanaryWeight > 0 || routes.Mirrored)
        {
            plan.Routes = TrafficRoutes.AllToPrimary;
            plan.Warn($"Routing all traffic back to the primary of failed canary {o.Canary.Id}");
        }

        return plan.Done();
    }

    // Every phase with a revision to act on: readiness first, then the phase's own step.
    private static Decision Ready(in Observation o, ref Plan plan)
    {
        var phase = plan.Status.Phase;
        if (!o.Canary.Spec.SkipAnalysis)
        {
            if (o.PrimaryReadiness is not { } primary)
            {
                return Plan.Observe(new Need(NeedKind.PrimaryReadiness));
            }

            if (!primary.IsReady)
            {
                plan.Warn(primary.Reason!);
                if (primary.State != ReadinessState.GiveUp)
                {
                    return plan.Done();
                }

                return phase is CanaryPhase.Promoting or CanaryPhase.Finalising
                    ? RunEndings.FailPromotion(o, ref plan, primary.Reason!)
                    : RunEndings.RollBack(o, ref plan, $"progress deadline exceeded {primary.Reason}", $"Progress deadline exceeded {primary.Reason}");
            }
        }

        if (o.Routes is not { } routes)
        {
            return Plan.Observe(new Need(NeedKind.Routes));
        }

        if (phase is not (CanaryPhase.Progressing or CanaryPhase.WaitingPromotion or CanaryPhase.Promoting or CanaryPhase.Finalising))
        {
            return RunStart.Start(o, ref plan);
        }

        var analysing = phase is CanaryPhase.Progressing or CanaryPhase.WaitingPromotion;
        if (analysing)
        {
            if (o.Revision is not { } revision)
            {
                return Plan.Observe(new Need(NeedKind.Revision));
            }

            if (RevisionDecisions.IsNewRevision(plan.Status, revision))
            {
                // The target changed again during the analysis: start over with traffic back on the primary.
                plan.Info($"New revision detected! Restarting analysis for {o.TargetId}");
                plan.Routes = TrafficRoutes.AllToPrimary;
                plan.Sync(CanaryPhase.Progressing, revision);
                return plan.Done();
            }
        }

        if (o.CanaryReadiness is not { } canary)
        {
            return Plan.Observe(new Need(NeedKind.CanaryReadiness));
        }

        if (!canary.IsReady)
        {
            plan.Warn(canary.Reason!);
            return canary.State == ReadinessState.GiveUp
                ? RunEndings.RollBack(o, ref plan, $"progress deadline exceeded {canary.Reason}", $"Progress deadline exceeded {canary.Reason}")
                : plan.Done();
        }

        return Advance(o, ref plan, routes, analysing);
    }

    private static Decision Advance(in Observation o, ref Plan plan, TrafficRoutes routes, bool analysing)
    {
        if (o.Canary.Spec.SkipAnalysis)
        {
            return RunEndings.SkipAnalysis(o, ref plan);
        }

        var gates = analysing ? RunStart.Annotated(o) : CanaryGates.None;
        if (gates.AbortRequested)
        {
            return RunStart.Abort(o, ref plan);
        }

        if (analysing && RunStart.RollbackRequested(o, ref plan) is { } requested)
        {
            return requested;
        }

        if (gates.RolloutClosed)
        {
            // Paused (flagger pause): the weight is held and nothing is checked until the annotation goes.
            plan.Warn($"Halt {o.Canary.Id} advancement paused ({GateAnnotations.Rollout}: {GateAnnotations.Closed})");
            return plan.Done();
        }

        switch (plan.Status.Phase)
        {
            case CanaryPhase.Promoting:
                return IsStepDue(o, plan.Status) ? RunEndings.ShiftTrafficToPrimary(o, ref plan, routes) : plan.Done();
            case CanaryPhase.Finalising:
                return RunEndings.Finalise(o, ref plan);
        }

        if (plan.Status.FailedChecks >= o.Analysis.GetThreshold())
        {
            return RunEndings.RollBack(o, ref plan);
        }

        if (plan.Status.Phase == CanaryPhase.Progressing && o.Ports.Capabilities.ShiftsWeights
            && TrafficDecisions.IsUnrecordedStep(plan.Status, routes, o.Analysis.GetStrategy()))
        {
            // Record the step the router already serves; the next one comes an interval from now.
            plan.Status = StatusTransitions.SetWeight(plan.Status, routes.CanaryWeight, o.Now);
            return plan.Done();
        }

        return IsStepDue(o, plan.Status) ? AnalysisDecisions.Check(o, ref plan, routes) : plan.Done();
    }

    // A port call failed: nothing after it was read, so nothing is decided but a Warning; the next tick retries.
    private static Decision Failed(in Observation o, ref Plan plan, PortFailure failure)
    {
        plan.Status = failure.TargetMissing
            ? StatusTransitions.SetTargetMissing(o.Status, $"{failure.Detail}: create it, or name an existing workload in spec.targetRef", o.Now)
            : o.Status;
        plan.Warn(TransitionApplier.WarningText(o.Canary, failure));
        return plan.Done();
    }

    // A failure (this tick's, or the ticks' before it) that has lasted longer than the progress deadline while the canary
    // has traffic: the canary is rolled back, the Warning naming the call and what it said. A canary without traffic
    // (Initializing, Waiting, settled) has nothing to roll back, and keeps retrying.
    private static Decision? Escalate(in Observation o, ref Plan plan)
    {
        if ((o.Failure ?? o.EarlierFailure) is not { } failure || o.FailingSince is not { } since)
        {
            return null;
        }

        var hasTraffic = o.Status.Phase is CanaryPhase.Progressing or CanaryPhase.WaitingPromotion or CanaryPhase.Promoting
            || (o.Status.Phase != CanaryPhase.Failed && o.Status.CanaryWeight > 0);
        var deadline = o.Canary.Spec.GetProgressDeadline();
        if (!hasTraffic || o.Now - since <= deadline)
        {
            return null;
        }

        if (o.Failure is not null)
        {
            plan.Warn(TransitionApplier.WarningText(o.Canary, failure));
        }

        var reason = $"{failure.Call} failing for {(long)(o.Now - since).TotalSeconds}s, past the progress deadline of {(long)deadline.TotalSeconds}s: {failure.Detail}";
        return RunEndings.RollBack(o, ref plan, reason, $"Rolling back: {reason}");
    }

    /// <summary>
    /// A Normal event when the spec's interval is below the engine's minimum, once a run (at initialisation and when a
    /// new revision starts): Flagger raises it silently, and a 2s interval that ticks every 10s looks like a stall.
    /// </summary>
    public static void SayIfIntervalRaised(in Observation o, ref Plan plan)
    {
        if (GoDuration.TryParse(o.Analysis?.Interval, out var asked) && asked < o.Interval)
        {
            plan.Info($"Interval {o.Analysis!.Interval} is below the operator's minimum: {o.Canary.Id} is analysed every {GoDuration.Format(o.Interval)}");
        }
    }

    /// <summary>Whether an analysis step is due (see <see cref="TrafficDecisions.IsStepDue"/>).</summary>
    public static bool IsStepDue(in Observation o, CanaryStatus status) =>
        TrafficDecisions.IsStepDue(status, o.Interval, o.Now);
}

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

/// <summary>Whether the target runs a revision the canary has not analysed yet.</summary>
internal static class RevisionDecisions
{
    /// <summary>
    /// True for a pod template the canary has not seen: no hash recorded yet, or one that differs from the last
    /// applied. A manual revert to what the primary already runs is not a new revision.
    /// </summary>
    public static bool HasTargetChanged(CanaryStatus? status, TargetRevision revision)
    {
        if (string.IsNullOrEmpty(status?.LastAppliedSpec))
        {
            return true;
        }

        if (revision.SpecHash == status.LastPromotedSpec)
        {
            return false;
        }

        return revision.SpecHash != status.LastAppliedSpec;
    }

    /// <summary>True when a tracked ConfigMap or Secret appeared, disappeared or changed.</summary>
    public static bool HaveDependenciesChanged(CanaryStatus? status, TargetRevision revision)
    {
        var recorded = status?.TrackedConfigs;
        var current = revision.TrackedConfigs;
        if (recorded is null || recorded.Count == 0)
        {
            return current.Count > 0;
        }

        if (recorded.Count != current.Count)
        {
            return true;
        }

        foreach (var (key, checksum) in current)
        {
            if (!recorded.TryGetValue(key, out var old) || old != checksum)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Either the pod template or a tracked config changed.</summary>
    public static bool IsNewRevision(CanaryStatus? status, TargetRevision revision) =>
        HasTargetChanged(status, revision) || HaveDependenciesChanged(status, revision);
}

/// <summary>
/// How a run ends: rolled back (built here and only here), promoted through Promoting and Finalising, promoted at
/// once with skipAnalysis, or failed at promotion.
/// </summary>
internal static class RunEndings
{
    /// <summary>
    /// Routes everything to the primary, scales the target to zero and marks the run Failed with this revision
    /// recorded, so it is not retried until the target changes. The primary is not touched. When the route change
    /// or the scale-down fails, the status is written as it stood before the rollback (failed checks counted), so the
    /// next tick rolls back again.
    /// </summary>
    /// <param name="o">The observation.</param>
    /// <param name="plan">The transition being built.</param>
    /// <param name="reason">Why, for the Warning event (<c>Rolling back {canary} {reason}</c>); null for failed checks or a rollback hook.</param>
    /// <param name="alert">The alert text for <paramref name="reason"/>.</param>
    public static Decision RollBack(in Observation o, ref Plan plan, string? reason = null, string? alert = null)
    {
        if (reason is not null)
        {
            plan.Warn($"Rolling back {o.Canary.Id} {reason}");
            plan.Alert(alert ?? reason, AlertSeverity.Error);
        }

        var failedChecks = plan.Status.FailedChecks;
        if (failedChecks >= o.Analysis.GetThreshold())
        {
            plan.Warn($"Rolling back {o.Canary.Id} failed checks threshold reached {failedChecks}");
            plan.Alert($"Failed checks threshold reached {failedChecks}", AlertSeverity.Error);
        }

        plan.Fallback = plan.Status;
        plan.Routes = TrafficRoutes.AllToPrimary;
        plan.Warn($"Canary failed! Scaling down {o.Canary.Id}");
        if (o.Ports.Scaler is not null)
        {
            plan.Act(TargetAction.PauseTargetScaler);
        }

        plan.Act(TargetAction.ScaleToZero);
        plan.Sync(CanaryPhase.Failed, o.RevisionOrRecorded);
        plan.Outcome = RunOutcome.RolledBack;
        plan.RunPostRolloutHooks();
        return plan.Done();
    }

    /// <summary>
    /// The primary already runs the new spec and will not become ready: the canary is the only healthy copy, so
    /// traffic goes to it and it stays scaled up.
    /// </summary>
    public static Decision FailPromotion(in Observation o, ref Plan plan, string reason)
    {
        plan.Warn($"Promotion of {o.TargetId} failed, primary not ready: {reason}");
        plan.Alert($"Promotion failed, primary not ready: {reason}", AlertSeverity.Error);
        plan.Fallback = plan.Status;
        plan.Routes = TrafficRoutes.AllToCanary;
        plan.Sync(CanaryPhase.Failed, o.RevisionOrRecorded, canaryWeight: 100);
        plan.Outcome = RunOutcome.PromotionFailed;
        plan.RunPostRolloutHooks();
        return plan.Done();
    }

    /// <summary>Promoting: the primary runs the new spec; move traffic back to it, all at once or by stepWeightPromotion.</summary>
    public static Decision ShiftTrafficToPrimary(in Observation o, ref Plan plan, TrafficRoutes routes)
    {
        if (o.Ports.Scaler is not null)
        {
            plan.Act(TargetAction.ReconcilePrimaryScaler);
        }

        if (!o.Ports.Capabilities.ShiftsWeights)
        {
            plan.SetPhase(CanaryPhase.Finalising);
            return plan.Done();
        }

        var next = TrafficDecisions.NextPromotionRoutes(o.Analysis, routes);
        plan.Routes = next;
        if (o.Analysis?.StepWeightPromotion is not > 0)
        {
            plan.Info("Routing all traffic to primary");
            plan.SetPhase(CanaryPhase.Finalising);
            return plan.Done();
        }

        plan.Info($"Advance {o.Canary.Id} primary weight {next.PrimaryWeight}");
        if (next.PrimaryWeight >= AnalysisDefaults.TotalWeight)
        {
            plan.SetPhase(CanaryPhase.Finalising);
        }
        else
        {
            plan.Status = StatusTransitions.SetWeight(plan.Status, next.CanaryWeight, o.Now);
        }

        return plan.Done();
    }

    /// <summary>Finalising: in-flight requests had a tick to drain; scale the canary down and finish.</summary>
    public static Decision Finalise(in Observation o, ref Plan plan)
    {
        return Succeed(o, ref plan, RunOutcome.Promoted, $"Promotion completed! Scaling down {o.TargetId}", "Canary analysis completed successfully, promotion finished.");
    }

    /// <summary>skipAnalysis: promote the ready canary at once, with no traffic shifting and no checks.</summary>
    public static Decision SkipAnalysis(in Observation o, ref Plan plan)
    {
        plan.Routes = TrafficRoutes.AllToPrimary;
        plan.Info($"Copying {o.TargetId} template spec to {o.Canary.GetTargetName()}-primary.{o.Canary.Namespace}");
        plan.Act(TargetAction.Promote);
        if (o.Ports.Scaler is not null)
        {
            plan.Act(TargetAction.ReconcilePrimaryScaler);
        }

        return Succeed(o, ref plan, RunOutcome.PromotedWithoutAnalysis, $"Promotion completed! Canary analysis was skipped for {o.TargetId}", "Canary analysis was skipped, promotion finished.");
    }

    // The end of a promotion, with or without analysis: the canary scaled down, Succeeded, post-rollout hooks, said.
    private static Decision Succeed(in Observation o, ref Plan plan, RunOutcome outcome, string message, string alert)
    {
        if (o.Ports.Scaler is not null)
        {
            plan.Act(TargetAction.PauseTargetScaler);
        }

        plan.Act(TargetAction.ScaleToZero);
        plan.SetPhase(CanaryPhase.Succeeded);
        plan.Outcome = outcome;
        plan.RunPostRolloutHooks();
        plan.Info(message);
        plan.Alert(alert, AlertSeverity.Info);
        return plan.Done();
    }
}
