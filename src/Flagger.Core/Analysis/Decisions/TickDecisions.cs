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
