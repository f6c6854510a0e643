using Flagger.Analysis.Decisions;
using Flagger.Model;
using Flagger.Notifications;
using Flagger.Routing;

namespace Flagger.Analysis.Steps;

/// <summary>The end of a successful run: traffic back to the (now promoted) primary, then the canary scaled down.</summary>
internal sealed class PromotionStep(CanaryEffects effects)
{
    /// <summary>Promoting: the primary runs the new spec; move traffic back to it, all at once or by stepWeightPromotion.</summary>
    public async Task ShiftTrafficAsync(TickContext tick, TrafficRoutes routes, CancellationToken cancellationToken)
    {
        if (tick.Scaler is not null)
        {
            await tick.Scaler.ReconcilePrimaryScalerAsync(tick.Current, false, cancellationToken).ConfigureAwait(false);
        }

        if (tick.Provider == "kubernetes")
        {
            tick.SetPhase(CanaryPhase.Finalising);
            return;
        }

        var next = TrafficDecisions.NextPromotionRoutes(tick.Analysis, routes);
        if (tick.Analysis?.StepWeightPromotion is not > 0)
        {
            await effects.InfoAsync(tick, "Routing all traffic to primary", cancellationToken).ConfigureAwait(false);
            await tick.SetRoutesAsync(next, cancellationToken).ConfigureAwait(false);
            tick.SetPhase(CanaryPhase.Finalising);
            return;
        }

        await tick.SetRoutesAsync(next, cancellationToken).ConfigureAwait(false);
        await effects.InfoAsync(tick, $"Advance {tick.Canary.Id} primary weight {next.PrimaryWeight}", cancellationToken).ConfigureAwait(false);
        if (next.PrimaryWeight >= AnalysisDefaults.TotalWeight)
        {
            tick.SetPhase(CanaryPhase.Finalising);
        }
        else
        {
            tick.Status = StatusTransitions.SetWeight(tick.Status, next.CanaryWeight, tick.Now);
        }
    }

    /// <summary>Finalising: in-flight requests had a tick to drain; scale the canary down and finish.</summary>
    public async Task FinaliseAsync(TickContext tick, CancellationToken cancellationToken)
    {
        await ScaleDownAsync(tick, cancellationToken).ConfigureAwait(false);
        tick.SetPhase(CanaryPhase.Succeeded);
        tick.Outcome = RunOutcome.Promoted;
        await RollbackStep.RunPostRolloutHooksAsync(effects, tick, cancellationToken).ConfigureAwait(false);
        await effects.InfoAsync(tick, $"Promotion completed! Scaling down {tick.TargetId}", cancellationToken).ConfigureAwait(false);
        await effects.AlertAsync(tick, "Canary analysis completed successfully, promotion finished.", AlertSeverity.Info, false, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>skipAnalysis: promote the ready canary at once, with no traffic shifting and no checks.</summary>
    public async Task SkipAnalysisAsync(TickContext tick, CancellationToken cancellationToken)
    {
        await tick.SetRoutesAsync(TrafficRoutes.AllToPrimary, cancellationToken).ConfigureAwait(false);
        await effects.InfoAsync(tick, $"Copying {tick.TargetId} template spec to {tick.Canary.GetTargetName()}-primary.{tick.Canary.Namespace}", cancellationToken).ConfigureAwait(false);
        await tick.Target.PromoteAsync(tick.Current, cancellationToken).ConfigureAwait(false);
        if (tick.Scaler is not null)
        {
            await tick.Scaler.ReconcilePrimaryScalerAsync(tick.Current, false, cancellationToken).ConfigureAwait(false);
        }

        await ScaleDownAsync(tick, cancellationToken).ConfigureAwait(false);
        tick.SetPhase(CanaryPhase.Succeeded);
        tick.Outcome = RunOutcome.PromotedWithoutAnalysis;
        await RollbackStep.RunPostRolloutHooksAsync(effects, tick, cancellationToken).ConfigureAwait(false);
        await effects.InfoAsync(tick, $"Promotion completed! Canary analysis was skipped for {tick.TargetId}", cancellationToken).ConfigureAwait(false);
        await effects.AlertAsync(tick, "Canary analysis was skipped, promotion finished.", AlertSeverity.Info, false, cancellationToken).ConfigureAwait(false);
    }

    private static async Task ScaleDownAsync(TickContext tick, CancellationToken cancellationToken)
    {
        if (tick.Scaler is not null)
        {
            await tick.Scaler.PauseTargetScalerAsync(tick.Current, cancellationToken).ConfigureAwait(false);
        }

        await tick.Target.ScaleToZeroAsync(tick.Current, cancellationToken).ConfigureAwait(false);
    }
}
