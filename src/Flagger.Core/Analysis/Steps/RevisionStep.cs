using Flagger.Analysis.Decisions;
using Flagger.Model;
using Flagger.Notifications;
using Flagger.Routing;

namespace Flagger.Analysis.Steps;

/// <summary>Starts a run for a new revision, or restarts one when the target changes mid-run.</summary>
internal sealed class RevisionStep(CanaryEffects effects, RollbackStep rollback)
{
    /// <summary>
    /// A new revision waits at the confirm-rollout gate (a rollback hook may abort it there), then the target is
    /// scaled up and the run starts Progressing. The analysis itself starts on the next tick.
    /// </summary>
    public async Task StartAsync(TickContext tick, CancellationToken cancellationToken)
    {
        if (tick.Phase == CanaryPhase.Waiting && await RollbackRequestedAsync(tick, cancellationToken).ConfigureAwait(false))
        {
            await rollback.RollBackAsync(tick, cancellationToken).ConfigureAwait(false);
            return;
        }

        if (await effects.RunGateAsync(tick, WebhookTypes.ConfirmRollout, cancellationToken).ConfigureAwait(false) is { } closed)
        {
            if (tick.Phase != CanaryPhase.Waiting)
            {
                tick.SetPhase(CanaryPhase.Waiting);
                if (!closed.Hook.MuteAlert)
                {
                    await effects.AlertAsync(tick, "Canary is waiting for approval.", AlertSeverity.Warn, false, cancellationToken).ConfigureAwait(false);
                }
            }

            await effects.WarnAsync(tick, $"Halt {tick.Canary.Id} advancement waiting for approval {closed.Hook.Name}", cancellationToken).ConfigureAwait(false);
            return;
        }

        foreach (var hook in CanaryEffects.Hooks(tick, WebhookTypes.ConfirmRollout))
        {
            await effects.InfoAsync(tick, $"Confirm-rollout check {hook.Name} passed", cancellationToken).ConfigureAwait(false);
        }

        await effects.InfoAsync(tick, $"New revision detected! Scaling up {tick.TargetId}", cancellationToken).ConfigureAwait(false);
        await effects.AlertAsync(tick, "New revision detected, progressing canary analysis.", AlertSeverity.Info, true, cancellationToken).ConfigureAwait(false);
        if (tick.Scaler is not null)
        {
            await tick.Scaler.ResumeTargetScalerAsync(tick.Current, cancellationToken).ConfigureAwait(false);
        }

        await tick.Target.ScaleFromZeroAsync(tick.Current, cancellationToken).ConfigureAwait(false);
        tick.Sync(CanaryPhase.Progressing, await tick.GetRevisionAsync(cancellationToken).ConfigureAwait(false));
    }

    /// <summary>The target changed again during the analysis: start over with traffic back on the primary.</summary>
    public async Task<bool> RestartIfChangedAsync(TickContext tick, CancellationToken cancellationToken)
    {
        var revision = await tick.GetRevisionAsync(cancellationToken).ConfigureAwait(false);
        if (!RevisionDecisions.IsNewRevision(tick.Status, revision))
        {
            return false;
        }

        await effects.InfoAsync(tick, $"New revision detected! Restarting analysis for {tick.TargetId}", cancellationToken).ConfigureAwait(false);
        await tick.SetRoutesAsync(TrafficRoutes.AllToPrimary, cancellationToken).ConfigureAwait(false);
        tick.Sync(CanaryPhase.Progressing, revision);
        return true;
    }

    /// <summary>True when a rollback hook answers success; the rollback is announced here.</summary>
    public async Task<bool> RollbackRequestedAsync(TickContext tick, CancellationToken cancellationToken)
    {
        foreach (var (hook, result) in await effects.CallAllAsync(tick, WebhookTypes.Rollback, cancellationToken).ConfigureAwait(false))
        {
            if (!result.Succeeded)
            {
                await effects.InfoAsync(tick, $"Rollback hook {hook.Name} not signaling a rollback", cancellationToken).ConfigureAwait(false);
                continue;
            }

            await effects.WarnAsync(tick, $"Rollback check {hook.Name} passed", cancellationToken).ConfigureAwait(false);
            await effects.WarnAsync(tick, $"Rolling back {tick.Canary.Id} manual webhook invoked", cancellationToken).ConfigureAwait(false);
            await effects.AlertAsync(tick, "Rolling back manual webhook invoked", AlertSeverity.Warn, false, cancellationToken).ConfigureAwait(false);
            return true;
        }

        return false;
    }
}
