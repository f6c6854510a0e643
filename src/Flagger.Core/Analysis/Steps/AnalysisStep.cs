using Flagger.Analysis.Decisions;
using Flagger.Events;
using Flagger.Model;
using Flagger.Routing;

namespace Flagger.Analysis.Steps;

/// <summary>
/// The checks of one analysis tick: pre-rollout hooks before any traffic, then on later ticks the rollout hooks
/// and the metrics. A failure counts one failed check, and reaching the threshold rolls back in the same tick.
/// </summary>
internal sealed class AnalysisStep(CanaryEffects effects, MetricChecks metrics, RollbackStep rollback)
{
    /// <summary>True when the tick may go on to move traffic.</summary>
    public async Task<bool> CheckAsync(TickContext tick, TrafficRoutes routes, CancellationToken cancellationToken)
    {
        var failure = IsFirstStep(tick, routes)
            ? await PreRolloutAsync(tick, cancellationToken).ConfigureAwait(false)
            : await RolloutAsync(tick, cancellationToken).ConfigureAwait(false);
        if (failure is null)
        {
            return true;
        }

        await effects.EmitAsync(tick, failure.Severity, failure.Message, cancellationToken).ConfigureAwait(false);
        tick.Status = StatusTransitions.AddFailedCheck(tick.Status, tick.Now);
        if (tick.Status.FailedChecks >= tick.Analysis.GetThreshold())
        {
            await rollback.RollBackAsync(tick, cancellationToken).ConfigureAwait(false);
        }

        return false;
    }

    // No traffic has reached the canary yet: weight 0, no iteration done, not mirroring.
    private static bool IsFirstStep(TickContext tick, TrafficRoutes routes) =>
        routes.CanaryWeight == 0 && tick.Status.Iterations == 0 && !(tick.Analysis is { Mirror: true } && routes.Mirrored);

    private async Task<CanaryEvent?> PreRolloutAsync(TickContext tick, CancellationToken cancellationToken)
    {
        await effects.InfoAsync(tick, $"Starting canary analysis for {tick.TargetId}", cancellationToken).ConfigureAwait(false);
        if (await effects.RunGateAsync(tick, WebhookTypes.PreRollout, cancellationToken).ConfigureAwait(false) is { } failed)
        {
            return new CanaryEvent(EventSeverity.Warning, $"Halt {tick.Canary.Id} advancement pre-rollout check {failed.Hook.Name} failed {failed.Error}");
        }

        foreach (var hook in CanaryEffects.Hooks(tick, WebhookTypes.PreRollout))
        {
            await effects.InfoAsync(tick, $"Pre-rollout check {hook.Name} passed", cancellationToken).ConfigureAwait(false);
        }

        return null;
    }

    private async Task<CanaryEvent?> RolloutAsync(TickContext tick, CancellationToken cancellationToken)
    {
        if (await effects.RunGateAsync(tick, WebhookTypes.Rollout, cancellationToken).ConfigureAwait(false) is { } failed)
        {
            return new CanaryEvent(EventSeverity.Warning, $"Halt {tick.Canary.Id} advancement external check {failed.Hook.Name} failed {failed.Error}");
        }

        return await metrics.RunAsync(tick, cancellationToken).ConfigureAwait(false);
    }
}
