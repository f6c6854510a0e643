using Flagger.Model;
using Flagger.Notifications;
using Flagger.Routing;

namespace Flagger.Analysis.Decisions;

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
