using Flagger.Fakes;
using Flagger.Model;
using Flagger.Routing;
using Flagger.Webhooks;

namespace Flagger.Analysis;

/// <summary>The engine honours the gate annotations that <c>flagger promote|pause|resume|abort|retry</c> write.</summary>
public sealed class GateAnnotationEngineTests
{
    private static async Task<CanaryHarness> ProgressingAsync(Canary canary)
    {
        var harness = new CanaryHarness(canary);
        await harness.TickUntilAsync(CanaryPhase.Initialized);
        harness.Workload.SetImage("v2");
        await harness.TickUntilAsync(CanaryPhase.Progressing);
        await harness.TickAsync(); // weight 10
        return harness;
    }

    private static void Annotate(CanaryHarness harness, string key, string value)
    {
        var stored = harness.Store.Get("test", "podinfo");
        var annotations = new Dictionary<string, string>(stored.Metadata.Annotations ?? new Dictionary<string, string>()) { [key] = value };
        harness.Store.Apply(stored with { Metadata = stored.Metadata with { Annotations = annotations } });
    }

    private static void Remove(CanaryHarness harness, string key)
    {
        var stored = harness.Store.Get("test", "podinfo");
        var annotations = new Dictionary<string, string>(stored.Metadata.Annotations ?? new Dictionary<string, string>());
        annotations.Remove(key);
        harness.Store.Apply(stored with { Metadata = stored.Metadata with { Annotations = annotations } });
    }

    [Fact]
    public async Task Pause_holds_the_weight_and_resume_lets_it_advance()
    {
        using var harness = await ProgressingAsync(Walkthrough.Canary());
        Annotate(harness, GateAnnotations.Rollout, GateAnnotations.Closed);

        await harness.TicksAsync(3);

        Assert.Equal(10, harness.Mesh.Routes.CanaryWeight);
        Assert.Equal((CanaryPhase.Progressing, 0), (harness.Status.Phase, harness.Status.FailedChecks));
        Assert.Equal("Warning Halt podinfo.test advancement paused (flagger.app/gate-rollout: closed)", harness.Recorder.Lines.Last());

        Remove(harness, GateAnnotations.Rollout);
        await harness.TickAsync();

        Assert.Equal(20, harness.Mesh.Routes.CanaryWeight);
    }

    [Fact]
    public async Task Pause_keeps_a_new_revision_waiting_like_a_closed_confirm_rollout_gate()
    {
        using var harness = new CanaryHarness(Walkthrough.Canary());
        await harness.TickUntilAsync(CanaryPhase.Initialized);
        Annotate(harness, GateAnnotations.Rollout, GateAnnotations.Closed);
        harness.Workload.SetImage("v2");

        await harness.TicksAsync(2);

        Assert.Equal(CanaryPhase.Waiting, harness.Status.Phase);
        Assert.Equal("Warning Halt podinfo.test advancement waiting for approval flagger.app/gate-rollout", harness.Recorder.Lines.Last());
        Remove(harness, GateAnnotations.Rollout);
        await harness.TickAsync();
        Assert.Equal(CanaryPhase.Progressing, harness.Status.Phase);
    }

    [Fact]
    public async Task Abort_rolls_back_the_revision_it_names()
    {
        using var harness = await ProgressingAsync(Walkthrough.Canary());
        Annotate(harness, GateAnnotations.Abort, harness.Status.LastAppliedSpec!);

        var report = await harness.TickAsync();

        Assert.Equal(RunOutcome.RolledBack, report.Outcome);
        Assert.Equal(TrafficRoutes.AllToPrimary, harness.Mesh.Routes);
        Assert.Contains("Warning Rolling back podinfo.test abort requested (flagger.app/gate-abort)", harness.Recorder.Lines);
    }

    [Fact]
    public async Task Promote_opens_a_closed_confirm_promotion_gate_for_its_revision()
    {
        var canary = Walkthrough.Canary(a => a with
        {
            Webhooks = [.. a.Webhooks!, new CanaryWebhook { Name = "approval", Type = WebhookTypes.ConfirmPromotion, Url = "http://gate.test/" }],
        });
        using var harness = new CanaryHarness(canary);
        harness.Webhooks.Answers["approval"] = WebhookResult.Failure("closed");
        await harness.TickUntilAsync(CanaryPhase.Initialized);
        harness.Workload.SetImage("v2");
        await harness.TickUntilAsync(CanaryPhase.WaitingPromotion);

        Annotate(harness, GateAnnotations.Promote, harness.Status.LastAppliedSpec!);
        await harness.TickUntilAsync(CanaryPhase.Succeeded);

        Assert.Contains("Normal Promotion approved (flagger.app/gate-promote)", harness.Recorder.Lines);
        Assert.Equal("v2", harness.Workload.PrimaryTemplate);
    }

    [Fact]
    public async Task Retry_restarts_the_analysis_of_the_failed_revision()
    {
        using var harness = await ProgressingAsync(Walkthrough.Canary(a => a with { Threshold = 1 }));
        harness.Metrics.SuccessRate = 12;
        await harness.TickAsync();
        Assert.Equal(CanaryPhase.Failed, harness.Status.Phase);
        harness.Metrics.SuccessRate = 100;

        Annotate(harness, GateAnnotations.Retry, GateAnnotations.FailureOf(harness.Status)!);
        await harness.TickAsync();

        Assert.Equal(CanaryPhase.Progressing, harness.Status.Phase);
        Assert.Equal(1, harness.Workload.TargetReplicas);
        Assert.Contains("Normal Retry requested (flagger.app/retry): restarting the analysis of podinfo.test", harness.Recorder.Lines);
        await harness.TickUntilAsync(CanaryPhase.Succeeded);
    }
}
