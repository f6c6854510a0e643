using Flagger.Events;
using Flagger.Model;
using Flagger.Notifications;
using Flagger.Routing;

namespace Flagger.Analysis.Decisions;

/// <summary>
/// Progressing and WaitingPromotion: the checks of one analysis step (pre-rollout hooks before any traffic, then the
/// rollout hooks and the metrics), and on success the strategy's next traffic move.
/// </summary>
internal static class AnalysisDecisions
{
    /// <summary>A failed check is counted; reaching the threshold rolls back in the same tick.</summary>
    public static Decision Check(in Observation o, ref Plan plan, TrafficRoutes routes)
    {
        CanaryEvent? failure;
        string? inconclusive = null;
        if (IsFirstStep(o, plan.Status, routes))
        {
            plan.Info($"Starting canary analysis for {o.TargetId}");
            if (RunStart.Gate(o, WebhookTypes.PreRollout) is not { } preRollout)
            {
                return Plan.Observe(Need.Gate(WebhookTypes.PreRollout));
            }

            failure = preRollout.IsOpen
                ? null
                : new CanaryEvent(EventSeverity.Warning, $"Halt {o.Canary.Id} advancement pre-rollout check {preRollout.ClosedBy!.Name} failed {preRollout.Error}");
            if (preRollout.IsOpen)
            {
                RunStart.Passed(o, ref plan, WebhookTypes.PreRollout, "Pre-rollout");
            }
        }
        else
        {
            if (RunStart.Gate(o, WebhookTypes.Rollout) is not { } rollout)
            {
                return Plan.Observe(Need.Gate(WebhookTypes.Rollout));
            }

            if (!rollout.IsOpen)
            {
                failure = new CanaryEvent(EventSeverity.Warning, $"Halt {o.Canary.Id} advancement external check {rollout.ClosedBy!.Name} failed {rollout.Error}");
            }
            else if (o.Metrics is not { } metrics)
            {
                return Plan.Observe(new Need(NeedKind.Metrics));
            }
            else
            {
                failure = metrics.Failure;
                foreach (var value in metrics.Values)
                {
                    plan.Observed(value);
                }

                if (metrics.ResolvedRefs is not null || metrics.AllResolved)
                {
                    plan.Status = StatusTransitions.SetResolvedRefs(plan.Status, metrics.ResolvedRefs, o.Now);
                }

                var judged = ComparisonDecisions.Judge(o, plan.Status, metrics);
                plan.Status = StatusTransitions.SetMetrics(plan.Status, judged.Metrics, o.Now);
                failure ??= judged.Failure;
                inconclusive = judged.Inconclusive;
            }
        }

        if (failure is null && inconclusive is not null)
        {
            return Inconclusive(o, ref plan, routes, inconclusive);
        }

        plan.Status = StatusTransitions.SetInconclusive(plan.Status, null, o.Now);
        if (failure is null)
        {
            return Advance(o, ref plan, routes);
        }

        plan.Emit(failure);
        plan.Status = StatusTransitions.AddFailedCheck(plan.Status, o.Now);
        return plan.Status.FailedChecks >= o.Analysis.GetThreshold() ? RunEndings.RollBack(o, ref plan) : plan.Done();
    }

    // Comparisons that cannot tell yet hold the weight: no failed check, no advance. After maxInconclusive such
    // steps in a row the step advances as if it had passed (no regression was found, and the sequential evidence
    // carries over to the next weight); without maxInconclusive the weight is held until the progress deadline,
    // counted from the first inconclusive step, and then the canary is rolled back with the reason.
    private static Decision Inconclusive(in Observation o, ref Plan plan, TrafficRoutes routes, string reason)
    {
        var since = plan.Status.InconclusiveSince ?? o.Now;
        var count = (plan.Status.InconclusiveChecks ?? 0) + 1;
        if (o.Analysis?.MaxInconclusive is { } max && count >= max)
        {
            plan.Info($"Advancing {o.Canary.Id} after {ComparisonDecisions.Intervals(count)} without a verdict (maxInconclusive {max}): {reason}");
            plan.Status = StatusTransitions.SetInconclusive(plan.Status, null, o.Now);
            return Advance(o, ref plan, routes);
        }

        var deadline = o.Canary.Spec.GetProgressDeadline();
        if (o.Analysis?.MaxInconclusive is null && o.Now - since >= deadline)
        {
            plan.Status = StatusTransitions.SetInconclusive(plan.Status, null, o.Now);
            var why = $"comparison inconclusive for {(long)(o.Now - since).TotalSeconds}s, past the progress deadline of {(long)deadline.TotalSeconds}s: {reason}";
            return RunEndings.RollBack(o, ref plan, why, $"Rolling back: {why}");
        }

        plan.Status = StatusTransitions.SetInconclusive(plan.Status, (count, since), o.Now);
        plan.Info($"Halt {o.Canary.Id} advancement comparison inconclusive ({ComparisonDecisions.Intervals(count)}): {reason}");
        return plan.Done();
    }

    // No traffic has reached the canary yet: weight 0, no iteration done, not mirroring.
    private static bool IsFirstStep(in Observation o, CanaryStatus status, TrafficRoutes routes) =>
        routes.CanaryWeight == 0 && status.Iterations == 0 && !(o.Analysis is { Mirror: true } && routes.Mirrored);

    /// <summary>Moves traffic one step after a successful analysis step, by strategy, and starts the promotion at the end.</summary>
    private static Decision Advance(in Observation o, ref Plan plan, TrafficRoutes routes)
    {
        var strategy = o.Analysis.GetStrategy();
        var iterations = o.Analysis?.Iterations ?? 0;
        var capabilities = o.Ports.Capabilities;
        if (!capabilities.ShiftsWeights)
        {
            // Without weighted routes only Blue/Green is possible; Flagger adapts the spec in memory and says so.
            if (strategy == DeploymentStrategy.ABTesting)
            {
                plan.Warn($"A/B testing is not supported when using the {o.Ports.Provider} provider");
            }

            if (iterations < 1)
            {
                plan.Warn($"Progressive traffic is not supported when using the {o.Ports.Provider} provider");
                plan.Warn("Setting canaryAnalysis.iterations: 10");
                iterations = 10;
            }

            strategy = DeploymentStrategy.BlueGreen;
        }

        return strategy switch
        {
            DeploymentStrategy.ABTesting => AdvanceAB(o, ref plan, iterations),
            DeploymentStrategy.BlueGreen => AdvanceBlueGreen(o, ref plan, routes, iterations),
            _ => AdvanceCanary(o, ref plan, routes),
        };
    }

    private static Decision AdvanceCanary(in Observation o, ref Plan plan, TrafficRoutes routes)
    {
        switch (TrafficDecisions.NextCanaryMove(o.Analysis, routes))
        {
            case CanaryMove.Mirror:
                plan.Routes = TrafficRoutes.AllToPrimary with { Mirrored = true };
                return plan.Done();
            case CanaryMove.Promote:
                return Promote(o, ref plan);
        }

        if (RunStart.Gate(o, WebhookTypes.ConfirmTrafficIncrease) is not { } gate)
        {
            return Plan.Observe(Need.Gate(WebhookTypes.ConfirmTrafficIncrease));
        }

        if (!gate.IsOpen)
        {
            plan.Warn($"Halt {o.Canary.Id} advancement waiting for traffic increase approval {gate.ClosedBy!.Name}");
            if (!gate.ClosedBy.MuteAlert)
            {
                plan.Alert("Canary traffic increase is waiting for approval.", AlertSeverity.Warn);
            }

            return plan.Done();
        }

        RunStart.Passed(o, ref plan, WebhookTypes.ConfirmTrafficIncrease, "Confirm-traffic-increase");
        var weight = TrafficDecisions.NextCanaryWeight(o.Analysis, routes.CanaryWeight);
        plan.Routes = TrafficDecisions.WithCanaryWeight(weight);
        plan.Status = StatusTransitions.SetWeight(plan.Status, weight, o.Now);
        plan.Info($"Advance {o.Canary.Id} canary weight {weight}");
        return plan.Done();
    }

    private static Decision AdvanceAB(in Observation o, ref Plan plan, int iterations)
    {
        if (TrafficDecisions.NextABMove(iterations, plan.Status.Iterations) == IterationMove.Promote)
        {
            return Promote(o, ref plan);
        }

        // The router applies the match conditions: only matching requests reach the canary.
        plan.Routes = TrafficRoutes.AllToCanary;
        CountIteration(o, ref plan, iterations);
        return plan.Done();
    }

    private static Decision AdvanceBlueGreen(in Observation o, ref Plan plan, TrafficRoutes routes, int iterations)
    {
        var capabilities = o.Ports.Capabilities;
        var mirror = o.Analysis is { Mirror: true } && capabilities.Mirrors;
        var move = TrafficDecisions.NextBlueGreenMove(iterations, plan.Status.Iterations);
        if (move == IterationMove.Iterate)
        {
            if (mirror && !routes.Mirrored)
            {
                plan.Routes = TrafficRoutes.AllToPrimary with { Mirrored = true };
            }

            CountIteration(o, ref plan, iterations);
            return plan.Done();
        }

        if (PromotionGate(o, ref plan) is { } waiting)
        {
            return waiting;
        }

        if (move == IterationMove.Promote)
        {
            return CopyToPrimary(o, ref plan);
        }

        if (capabilities.ShiftsWeights)
        {
            plan.Info(mirror ? "Stop traffic mirroring and route all traffic to canary" : "Routing all traffic to canary");
            plan.Routes = TrafficRoutes.AllToCanary;
        }

        plan.Status = StatusTransitions.SetIterations(plan.Status, plan.Status.Iterations + 1, o.Now);
        return plan.Done();
    }

    private static void CountIteration(in Observation o, ref Plan plan, int iterations)
    {
        var done = plan.Status.Iterations + 1;
        plan.Status = StatusTransitions.SetIterations(plan.Status, done, o.Now);
        plan.Info($"Advance {o.Canary.Id} canary iteration {done}/{iterations}");
    }

    private static Decision Promote(in Observation o, ref Plan plan) =>
        PromotionGate(o, ref plan) ?? CopyToPrimary(o, ref plan);

    // The confirm-promotion gate: null when open; otherwise the decision to wait (WaitingPromotion) or to ask the hooks.
    private static Decision? PromotionGate(in Observation o, ref Plan plan)
    {
        if (RunStart.Annotated(o).PromotionOpen)
        {
            // Approved with flagger promote: the confirm-promotion hooks are not asked.
            plan.Info($"Promotion approved ({GateAnnotations.Promote})");
            return null;
        }

        if (RunStart.Gate(o, WebhookTypes.ConfirmPromotion) is not { } gate)
        {
            return Plan.Observe(Need.Gate(WebhookTypes.ConfirmPromotion));
        }

        if (gate.IsOpen)
        {
            RunStart.Passed(o, ref plan, WebhookTypes.ConfirmPromotion, "Confirm-promotion");
            return null;
        }

        return RunStart.WaitAtGate(ref plan, gate, CanaryPhase.WaitingPromotion, "Canary promotion is waiting for approval.", $"Halt {o.Canary.Id} advancement waiting for promotion approval {gate.ClosedBy!.Name}");
    }

    private static Decision CopyToPrimary(in Observation o, ref Plan plan)
    {
        plan.Info($"Copying {o.TargetId} template spec to {o.Canary.GetTargetName()}-primary.{o.Canary.Namespace}");
        plan.Act(TargetAction.Promote);
        plan.SetPhase(CanaryPhase.Promoting);
        return plan.Done();
    }
}
