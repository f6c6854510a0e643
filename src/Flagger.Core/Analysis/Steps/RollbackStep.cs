using Flagger.Model;
using Flagger.Notifications;
using Flagger.Routing;

namespace Flagger.Analysis.Steps;

/// <summary>Ends a run badly: traffic back to the primary and the canary scaled down, or, when the promoted primary fails, traffic to the canary.</summary>
internal sealed class RollbackStep(CanaryEffects effects)
{
    /// <summary>
    /// Routes everything to the primary, scales the target to zero and marks the run Failed with this revision
    /// recorded, so it is not retried until the target changes. The primary is not touched.
    /// </summary>
    public async Task RollBackAsync(TickContext tick, CancellationToken cancellationToken)
    {
        var threshold = tick.Analysis.GetThreshold();
        if (tick.Status.FailedChecks >= threshold)
        {
            await effects.WarnAsync(tick, $"Rolling back {tick.Canary.Id} failed checks threshold reached {tick.Status.FailedChecks}", cancellationToken).ConfigureAwait(false);
            await effects.AlertAsync(tick, $"Failed checks threshold reached {tick.Status.FailedChecks}", AlertSeverity.Error, false, cancellationToken).ConfigureAwait(false);
        }

        await tick.SetRoutesAsync(TrafficRoutes.AllToPrimary, cancellationToken).ConfigureAwait(false);
        await effects.WarnAsync(tick, $"Canary failed! Scaling down {tick.Canary.Id}", cancellationToken).ConfigureAwait(false);
        if (tick.Scaler is not null)
        {
            await tick.Scaler.PauseTargetScalerAsync(tick.Current, cancellationToken).ConfigureAwait(false);
        }

        await tick.Target.ScaleToZeroAsync(tick.Current, cancellationToken).ConfigureAwait(false);
        tick.Sync(CanaryPhase.Failed, await tick.GetRevisionAsync(cancellationToken).ConfigureAwait(false));
        tick.Outcome = RunOutcome.RolledBack;
        await RunPostRolloutHooksAsync(effects, tick, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Rolls back a canary whose target (or primary) will not become ready, saying so and alerting.</summary>
    public async Task RollBackPastDeadlineAsync(TickContext tick, string reason, CancellationToken cancellationToken)
    {
        await effects.WarnAsync(tick, $"Rolling back {tick.Canary.Id} progress deadline exceeded {reason}", cancellationToken).ConfigureAwait(false);
        await effects.AlertAsync(tick, $"Progress deadline exceeded {reason}", AlertSeverity.Error, false, cancellationToken).ConfigureAwait(false);
        await RollBackAsync(tick, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The primary already runs the new spec and will not become ready: the canary is the only healthy copy, so
    /// traffic goes to it and it stays scaled up.
    /// </summary>
    public async Task FailPromotionAsync(TickContext tick, string reason, CancellationToken cancellationToken)
    {
        await effects.WarnAsync(tick, $"Promotion of {tick.TargetId} failed, primary not ready: {reason}", cancellationToken).ConfigureAwait(false);
        await effects.AlertAsync(tick, $"Promotion failed, primary not ready: {reason}", AlertSeverity.Error, false, cancellationToken).ConfigureAwait(false);
        await tick.SetRoutesAsync(TrafficRoutes.AllToCanary, cancellationToken).ConfigureAwait(false);
        tick.Sync(CanaryPhase.Failed, await tick.GetRevisionAsync(cancellationToken).ConfigureAwait(false), canaryWeight: 100);
        tick.Outcome = RunOutcome.PromotionFailed;
        await RunPostRolloutHooksAsync(effects, tick, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Calls the post-rollout hooks; their failures are reported, never acted on.</summary>
    public static async Task RunPostRolloutHooksAsync(CanaryEffects effects, TickContext tick, CancellationToken cancellationToken)
    {
        foreach (var (hook, result) in await effects.CallAllAsync(tick, WebhookTypes.PostRollout, cancellationToken).ConfigureAwait(false))
        {
            var message = result.Succeeded ? $"Post-rollout check {hook.Name} passed" : $"Post-rollout hook {hook.Name} failed {result.Error}";
            await (result.Succeeded ? effects.InfoAsync(tick, message, cancellationToken) : effects.WarnAsync(tick, message, cancellationToken)).ConfigureAwait(false);
        }
    }
}
