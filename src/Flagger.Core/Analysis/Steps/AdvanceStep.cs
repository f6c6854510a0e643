using Flagger.Analysis.Decisions;
using Flagger.Model;
using Flagger.Notifications;
using Flagger.Routing;

namespace Flagger.Analysis.Steps;

/// <summary>Moves traffic one step after a successful analysis tick, by strategy, and starts the promotion at the end.</summary>
internal sealed class AdvanceStep(CanaryEffects effects)
{
    public async Task AdvanceAsync(TickContext tick, TrafficRoutes routes, CancellationToken cancellationToken)
    {
        var analysis = tick.Analysis;
        var strategy = analysis.GetStrategy();
        var iterations = analysis?.Iterations ?? 0;
        var plainKubernetes = tick.Provider == "kubernetes";
        if (plainKubernetes)
        {
            // Without a mesh only Blue/Green is possible; Flagger adapts the spec in memory and says so.
            if (strategy == DeploymentStrategy.ABTesting)
            {
                await effects.WarnAsync(tick, "A/B testing is not supported when using the kubernetes provider", cancellationToken).ConfigureAwait(false);
            }

            if (iterations < 1)
            {
                await effects.WarnAsync(tick, "Progressive traffic is not supported when using the kubernetes provider", cancellationToken).ConfigureAwait(false);
                await effects.WarnAsync(tick, "Setting canaryAnalysis.iterations: 10", cancellationToken).ConfigureAwait(false);
                iterations = 10;
            }

            strategy = DeploymentStrategy.BlueGreen;
        }

        switch (strategy)
        {
            case DeploymentStrategy.ABTesting:
                await AdvanceABAsync(tick, iterations, cancellationToken).ConfigureAwait(false);
                break;
            case DeploymentStrategy.BlueGreen:
                await AdvanceBlueGreenAsync(tick, routes, iterations, plainKubernetes, cancellationToken).ConfigureAwait(false);
                break;
            default:
                await AdvanceCanaryAsync(tick, routes, cancellationToken).ConfigureAwait(false);
                break;
        }
    }

    private async Task AdvanceCanaryAsync(TickContext tick, TrafficRoutes routes, CancellationToken cancellationToken)
    {
        switch (TrafficDecisions.NextCanaryMove(tick.Analysis, routes))
        {
            case CanaryMove.Mirror:
                await tick.SetRoutesAsync(TrafficRoutes.AllToPrimary with { Mirrored = true }, cancellationToken).ConfigureAwait(false);
                return;
            case CanaryMove.Promote:
                await PromoteAsync(tick, cancellationToken).ConfigureAwait(false);
                return;
        }

        if (!await TrafficIncreaseApprovedAsync(tick, cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        var weight = TrafficDecisions.NextCanaryWeight(tick.Analysis, routes.CanaryWeight);
        await tick.SetRoutesAsync(TrafficDecisions.WithCanaryWeight(weight), cancellationToken).ConfigureAwait(false);
        tick.Status = StatusTransitions.SetWeight(tick.Status, weight, tick.Now);
        await effects.InfoAsync(tick, $"Advance {tick.Canary.Id} canary weight {weight}", cancellationToken).ConfigureAwait(false);
    }

    private async Task AdvanceABAsync(TickContext tick, int iterations, CancellationToken cancellationToken)
    {
        if (TrafficDecisions.NextABMove(iterations, tick.Status.Iterations) == IterationMove.Promote)
        {
            await PromoteAsync(tick, cancellationToken).ConfigureAwait(false);
            return;
        }

        // The router applies the match conditions: only matching requests reach the canary.
        await tick.SetRoutesAsync(TrafficRoutes.AllToCanary, cancellationToken).ConfigureAwait(false);
        await CountIterationAsync(tick, iterations, cancellationToken).ConfigureAwait(false);
    }

    private async Task AdvanceBlueGreenAsync(TickContext tick, TrafficRoutes routes, int iterations, bool plainKubernetes, CancellationToken cancellationToken)
    {
        var mirror = tick.Analysis is { Mirror: true } && !plainKubernetes;
        var move = TrafficDecisions.NextBlueGreenMove(iterations, tick.Status.Iterations);
        if (move == IterationMove.Iterate)
        {
            if (mirror && !routes.Mirrored)
            {
                await tick.SetRoutesAsync(TrafficRoutes.AllToPrimary with { Mirrored = true }, cancellationToken).ConfigureAwait(false);
            }

            await CountIterationAsync(tick, iterations, cancellationToken).ConfigureAwait(false);
            return;
        }

        if (!await PromotionApprovedAsync(tick, cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        if (move == IterationMove.Promote)
        {
            await CopyToPrimaryAsync(tick, cancellationToken).ConfigureAwait(false);
            return;
        }

        if (!plainKubernetes)
        {
            var message = mirror ? "Stop traffic mirroring and route all traffic to canary" : "Routing all traffic to canary";
            await effects.InfoAsync(tick, message, cancellationToken).ConfigureAwait(false);
            await tick.SetRoutesAsync(TrafficRoutes.AllToCanary, cancellationToken).ConfigureAwait(false);
        }

        tick.Status = StatusTransitions.SetIterations(tick.Status, tick.Status.Iterations + 1, tick.Now);
    }

    private async Task CountIterationAsync(TickContext tick, int iterations, CancellationToken cancellationToken)
    {
        var done = tick.Status.Iterations + 1;
        tick.Status = StatusTransitions.SetIterations(tick.Status, done, tick.Now);
        await effects.InfoAsync(tick, $"Advance {tick.Canary.Id} canary iteration {done}/{iterations}", cancellationToken).ConfigureAwait(false);
    }

    private async Task PromoteAsync(TickContext tick, CancellationToken cancellationToken)
    {
        if (await PromotionApprovedAsync(tick, cancellationToken).ConfigureAwait(false))
        {
            await CopyToPrimaryAsync(tick, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task CopyToPrimaryAsync(TickContext tick, CancellationToken cancellationToken)
    {
        var target = tick.Canary.GetTargetName();
        await effects.InfoAsync(tick, $"Copying {tick.TargetId} template spec to {target}-primary.{tick.Canary.Namespace}", cancellationToken).ConfigureAwait(false);
        await tick.Target.PromoteAsync(tick.Current, cancellationToken).ConfigureAwait(false);
        tick.SetPhase(CanaryPhase.Promoting);
    }

    private async Task<bool> TrafficIncreaseApprovedAsync(TickContext tick, CancellationToken cancellationToken)
    {
        if (await effects.RunGateAsync(tick, WebhookTypes.ConfirmTrafficIncrease, cancellationToken).ConfigureAwait(false) is { } closed)
        {
            await effects.WarnAsync(tick, $"Halt {tick.Canary.Id} advancement waiting for traffic increase approval {closed.Hook.Name}", cancellationToken).ConfigureAwait(false);
            if (!closed.Hook.MuteAlert)
            {
                await effects.AlertAsync(tick, "Canary traffic increase is waiting for approval.", AlertSeverity.Warn, false, cancellationToken).ConfigureAwait(false);
            }

            return false;
        }

        foreach (var hook in CanaryEffects.Hooks(tick, WebhookTypes.ConfirmTrafficIncrease))
        {
            await effects.InfoAsync(tick, $"Confirm-traffic-increase check {hook.Name} passed", cancellationToken).ConfigureAwait(false);
        }

        return true;
    }

    private async Task<bool> PromotionApprovedAsync(TickContext tick, CancellationToken cancellationToken)
    {
        if (await effects.RunGateAsync(tick, WebhookTypes.ConfirmPromotion, cancellationToken).ConfigureAwait(false) is { } closed)
        {
            if (tick.Phase != CanaryPhase.WaitingPromotion)
            {
                tick.SetPhase(CanaryPhase.WaitingPromotion);
                if (!closed.Hook.MuteAlert)
                {
                    await effects.AlertAsync(tick, "Canary promotion is waiting for approval.", AlertSeverity.Warn, false, cancellationToken).ConfigureAwait(false);
                }
            }

            await effects.WarnAsync(tick, $"Halt {tick.Canary.Id} advancement waiting for promotion approval {closed.Hook.Name}", cancellationToken).ConfigureAwait(false);
            return false;
        }

        foreach (var hook in CanaryEffects.Hooks(tick, WebhookTypes.ConfirmPromotion))
        {
            await effects.InfoAsync(tick, $"Confirm-promotion check {hook.Name} passed", cancellationToken).ConfigureAwait(false);
        }

        return true;
    }
}
