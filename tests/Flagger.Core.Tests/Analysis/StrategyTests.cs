using System.Text.Json;
using Flagger.Fakes;
using Flagger.Model;
using Flagger.Routing;
using Flagger.Webhooks;

namespace Flagger.Analysis;

/// <summary>The traffic strategies: weights, explicit steps, staged promotion, mirroring, Blue/Green and A/B.</summary>
public sealed class StrategyTests
{
    private static async Task<CanaryHarness> StartedAsync(Canary canary)
    {
        var harness = new CanaryHarness(canary);
        await harness.TickUntilAsync(CanaryPhase.Initialized);
        harness.Workload.SetImage("v2");
        return harness;
    }

    [Fact]
    public async Task Step_weights_follow_the_list_then_promote()
    {
        using var harness = await StartedAsync(Walkthrough.Canary(a => a with { StepWeight = 0, StepWeights = [1, 2, 10, 80] }));

        await harness.TickUntilAsync(CanaryPhase.Succeeded);

        Assert.Equal([1, 2, 10, 80, 0], harness.Mesh.History.Select(r => r.CanaryWeight));
        Assert.All(harness.Mesh.History, r => Assert.Equal(100, r.PrimaryWeight + r.CanaryWeight));
    }

    [Fact]
    public async Task Weight_never_passes_max_weight_when_step_does_not_divide_it()
    {
        using var harness = await StartedAsync(Walkthrough.Canary(a => a with { StepWeight = 20, MaxWeight = 50 }));

        await harness.TickUntilAsync(CanaryPhase.Succeeded);

        Assert.Equal([20, 40, 50, 0], harness.Mesh.History.Select(r => r.CanaryWeight));
    }

    [Fact]
    public async Task Staged_promotion_moves_traffic_back_by_step_weight_promotion()
    {
        using var harness = await StartedAsync(Walkthrough.Canary(a => a with { StepWeightPromotion = 20 }));

        await harness.TickUntilAsync(CanaryPhase.Succeeded);

        Assert.Equal([70, 90, 100], harness.Mesh.History.SkipWhile(r => r.CanaryWeight < 50).Skip(1).Select(r => r.PrimaryWeight));
        Assert.Contains("Normal Advance podinfo.test primary weight 70", harness.Recorder.Lines);
    }

    [Fact]
    public async Task Mirror_runs_one_mirrored_tick_before_the_first_step()
    {
        using var harness = await StartedAsync(Walkthrough.Canary(a => a with { Mirror = true }));

        await harness.TicksAsync(3);

        Assert.Equal([new TrafficRoutes(100, 0, true), new TrafficRoutes(90, 10)], harness.Mesh.History.Take(2));
    }

    [Fact]
    public async Task Blue_green_iterates_then_routes_to_canary_then_promotes()
    {
        using var harness = await StartedAsync(Walkthrough.Canary(a => a with { StepWeight = 0, MaxWeight = 0, Iterations = 3 }));

        await harness.TickUntilAsync(CanaryPhase.Succeeded);

        var lines = harness.Recorder.Lines.ToList();
        Assert.Contains("Normal Advance podinfo.test canary iteration 1/3", lines);
        Assert.Contains("Normal Advance podinfo.test canary iteration 3/3", lines);
        Assert.True(lines.IndexOf("Normal Routing all traffic to canary") < lines.IndexOf("Normal Copying podinfo.test template spec to podinfo-primary.test"));
        Assert.Equal([TrafficRoutes.AllToCanary, TrafficRoutes.AllToPrimary], harness.Mesh.History);
    }

    [Fact]
    public async Task AB_testing_routes_matched_traffic_for_each_iteration()
    {
        var match = JsonDocument.Parse("""[{"headers":{"x-canary":{"exact":"insider"}}}]""").RootElement;
        using var harness = await StartedAsync(Walkthrough.Canary(a => a with { StepWeight = 0, MaxWeight = 0, Iterations = 2, Match = match }));

        await harness.TickUntilAsync(CanaryPhase.Succeeded);

        Assert.Contains("Normal Advance podinfo.test canary iteration 2/2", harness.Recorder.Lines);
        Assert.Equal(TrafficRoutes.AllToCanary, harness.Mesh.History[0]);
        Assert.Equal(TrafficRoutes.AllToPrimary, harness.Mesh.History[^1]);
    }

    [Fact]
    public async Task Confirm_promotion_holds_at_max_weight_until_approved()
    {
        var canary = Walkthrough.Canary(a => a with
        {
            Webhooks = [new CanaryWebhook { Name = "ship-it", Type = WebhookTypes.ConfirmPromotion, Url = "http://gate/" }],
        });
        using var harness = await StartedAsync(canary);
        harness.Webhooks.Answers["ship-it"] = WebhookResult.Failure("closed");

        await harness.TickUntilAsync(CanaryPhase.WaitingPromotion);
        await harness.TicksAsync(2);
        Assert.Equal(CanaryPhase.WaitingPromotion, harness.Status.Phase);
        Assert.Equal(50, harness.Status.CanaryWeight);
        Assert.Equal("Warning Halt podinfo.test advancement waiting for promotion approval ship-it", harness.Recorder.Lines.Last());

        harness.Webhooks.Answers["ship-it"] = WebhookResult.Success;
        await harness.TickAsync();
        Assert.Equal(CanaryPhase.Promoting, harness.Status.Phase);
    }

    [Fact]
    public async Task Primary_failing_after_promotion_sends_traffic_to_the_canary()
    {
        using var harness = await StartedAsync(Walkthrough.Canary());
        await harness.TickUntilAsync(CanaryPhase.Promoting);
        harness.Workload.PrimaryPastDeadline = true;

        await harness.TickAsync();

        Assert.Equal(CanaryPhase.Failed, harness.Status.Phase);
        Assert.Equal(100, harness.Status.CanaryWeight);
        Assert.Equal(TrafficRoutes.AllToCanary, harness.Mesh.Routes);
        Assert.Contains(harness.Recorder.Lines, l => l.StartsWith("Warning Promotion of podinfo.test failed, primary not ready:", StringComparison.Ordinal));
        Assert.Equal(RunOutcome.PromotionFailed, harness.Reports[^1].Outcome);
    }

    [Fact]
    public async Task Kubernetes_provider_runs_blue_green_and_says_so()
    {
        using var harness = await StartedAsync(Walkthrough.Canary(spec: s => s with { Provider = "kubernetes" }));

        await harness.TickUntilAsync(CanaryPhase.Succeeded);

        Assert.Contains("Warning Progressive traffic is not supported when using the kubernetes provider", harness.Recorder.Lines);
        Assert.Contains("Normal Advance podinfo.test canary iteration 10/10", harness.Recorder.Lines);
        Assert.Empty(harness.Mesh.History);
    }
}
