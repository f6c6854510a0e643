using Flagger.Fakes;
using Flagger.Model;
using Flagger.Notifications;
using Flagger.Routing;
using Flagger.Webhooks;

namespace Flagger.Analysis;

/// <summary>The departures from Flagger 1.44 this project chose (FLAGGER-CONTRACT.md, departures table).</summary>
public sealed class DepartureTests
{
    private static CanaryAlert Alert(string? severity) =>
        new() { Name = "on-call", Severity = severity, ProviderRef = new ObjectReference { Name = "slack" } };

    private static CanaryHarness WithSlack(Canary canary)
    {
        var harness = new CanaryHarness(canary);
        harness.Store.Apply(new AlertProvider
        {
            Metadata = new ObjectMetadata { Name = "slack", Namespace = "test" },
            Spec = new AlertProviderSpec { Type = "slack", Address = "https://chat.example/hook" },
        });
        return harness;
    }

    [Fact]
    public async Task D1_rolls_back_in_the_tick_the_threshold_is_reached()
    {
        using var harness = new CanaryHarness(Walkthrough.Canary(a => a with { Threshold = 2 }));
        await harness.TickUntilAsync(CanaryPhase.Initialized);
        harness.Workload.SetImage("bad");
        await harness.TicksAsync(2);
        harness.Metrics.SuccessRate = 50;

        await harness.TickAsync();
        Assert.Equal(CanaryPhase.Progressing, harness.Status.Phase);
        Assert.Equal(1, harness.Status.FailedChecks);

        var report = await harness.TickAsync();
        Assert.Equal(CanaryPhase.Failed, harness.Status.Phase);
        Assert.Equal(RunOutcome.RolledBack, report.Outcome);
        Assert.Equal(TrafficRoutes.AllToPrimary, harness.Mesh.Routes);
        Assert.Contains("Warning Rolling back podinfo.test failed checks threshold reached 2", report.Events.Select(e => e.ToString()));
    }

    [Fact]
    public async Task D2_canary_past_its_deadline_is_rolled_back_with_a_warning_and_an_error_alert()
    {
        using var harness = WithSlack(Walkthrough.Canary(a => a with { Alerts = [Alert("error")] }));
        await harness.TickUntilAsync(CanaryPhase.Initialized);
        harness.Workload.SetImage("never-ready");
        harness.Workload.CanaryPastDeadline = true;

        await harness.TicksAsync(2);

        Assert.Equal(CanaryPhase.Failed, harness.Status.Phase);
        Assert.Contains(harness.Recorder.Lines, l => l.StartsWith("Warning Rolling back podinfo.test progress deadline exceeded canary deployment podinfo.test not ready", StringComparison.Ordinal));
        var alert = Assert.Single(harness.Notifier.Sent);
        Assert.Equal(AlertSeverity.Error, alert.Severity);
        Assert.StartsWith("Progress deadline exceeded", alert.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task D3_rollback_hook_aborts_a_canary_waiting_for_rollout_approval()
    {
        var canary = Walkthrough.Canary(a => a with
        {
            Webhooks =
            [
                new CanaryWebhook { Name = "gate", Type = WebhookTypes.ConfirmRollout, Url = "http://gate/" },
                new CanaryWebhook { Name = "abort", Type = WebhookTypes.Rollback, Url = "http://abort/" },
            ],
        });
        using var harness = new CanaryHarness(canary);
        harness.Webhooks.Answers["gate"] = WebhookResult.Failure("closed");
        harness.Webhooks.Answers["abort"] = WebhookResult.Failure("closed");
        await harness.TickUntilAsync(CanaryPhase.Initialized);
        harness.Workload.SetImage("v2");

        await harness.TickAsync();
        Assert.Equal(CanaryPhase.Waiting, harness.Status.Phase);
        Assert.Equal("Warning Halt podinfo.test advancement waiting for approval gate", harness.Recorder.Lines.Last());

        harness.Webhooks.Answers["abort"] = WebhookResult.Success;
        await harness.TickAsync();

        Assert.Equal(CanaryPhase.Failed, harness.Status.Phase);
        Assert.Contains("Warning Rolling back podinfo.test manual webhook invoked", harness.Recorder.Lines);
        Assert.Equal("v1", harness.Workload.PrimaryTemplate);
    }

    [Fact]
    public async Task D5_traffic_increase_gate_is_not_asked_on_the_promotion_tick()
    {
        var canary = Walkthrough.Canary(a => a with
        {
            MaxWeight = 20,
            Webhooks = [new CanaryWebhook { Name = "more", Type = WebhookTypes.ConfirmTrafficIncrease, Url = "http://more/" }],
        });
        using var harness = new CanaryHarness(canary);
        await harness.TickUntilAsync(CanaryPhase.Initialized);
        harness.Workload.SetImage("v2");

        await harness.TickUntilAsync(CanaryPhase.Promoting);

        Assert.Equal(2, harness.Webhooks.Calls.Count(c => c.Hook.Name == "more"));
        Assert.Equal(2, harness.Recorder.Lines.Count(l => l == "Normal Confirm-traffic-increase check more passed"));
    }

    [Theory]
    [InlineData(null, true)]
    [InlineData("", true)]
    [InlineData("info", true)]
    [InlineData("warn", false)]
    [InlineData("error", false)]
    public async Task D6_alert_with_empty_severity_receives_info(string? severity, bool receives)
    {
        using var harness = WithSlack(Walkthrough.Canary(a => a with { Alerts = [Alert(severity)] }));

        await harness.TickAsync();

        Assert.Equal(receives, harness.Notifier.Sent.Any(n => n.Message == "New Deployment detected, initialization completed."));
    }

    [Fact]
    public async Task D7_unknown_mesh_provider_is_a_clear_error_naming_the_known_ones()
    {
        using var harness = new CanaryHarness(Walkthrough.Canary(spec: s => s with { Provider = "linkerd" }));

        await harness.TickAsync();
        await harness.TickAsync();

        var warning = Assert.Single(harness.Recorder.Lines);
        Assert.StartsWith("Warning invalid canary spec: spec.provider: unknown provider", warning, StringComparison.Ordinal);
        Assert.Contains("linkerd", warning, StringComparison.Ordinal);
        Assert.Contains("istio", warning, StringComparison.Ordinal);
        Assert.Contains("kubernetes", warning, StringComparison.Ordinal);
        var valid = Assert.Single(harness.Status.Conditions!, c => c.Type == CanaryCondition.ValidType);
        Assert.Equal("False", valid.Status);
        Assert.Equal(1, harness.Store.StatusWrites);
        Assert.Empty(harness.Workload.Calls);
    }

    [Fact]
    public async Task D8_failed_canary_is_not_rewritten_every_tick()
    {
        using var harness = new CanaryHarness(Walkthrough.Canary(a => a with { Threshold = 1 }));
        await harness.TickUntilAsync(CanaryPhase.Initialized);
        harness.Workload.SetImage("bad");
        harness.Metrics.SuccessRate = 1;
        await harness.TickUntilAsync(CanaryPhase.Failed);
        var writes = harness.Store.StatusWrites;
        var transition = harness.Status.LastTransitionTime;

        await harness.TicksAsync(4);

        Assert.Equal(writes, harness.Store.StatusWrites);
        Assert.Equal(transition, harness.Status.LastTransitionTime);
    }

    [Fact]
    public async Task D4_canary_that_can_never_advance_is_rejected_on_its_status_and_in_an_event()
    {
        using var harness = new CanaryHarness(Walkthrough.Canary(a => a with { StepWeight = 0, StepWeights = null, Iterations = 0 }));

        await harness.TickAsync();
        await harness.TickAsync();

        var warning = Assert.Single(harness.Recorder.Lines);
        Assert.StartsWith("Warning invalid canary spec: spec.canaryAnalysis:", warning, StringComparison.Ordinal);
        Assert.Contains("stepWeight", warning, StringComparison.Ordinal);
        var valid = Assert.Single(harness.Status.Conditions!, c => c.Type == CanaryCondition.ValidType);
        Assert.Equal(("False", "InvalidSpec"), (valid.Status, valid.Reason));
        Assert.Empty(harness.Workload.Calls);
    }

    [Fact]
    public async Task Fixing_an_invalid_canary_clears_the_condition_and_it_initializes()
    {
        using var harness = new CanaryHarness(Walkthrough.Canary(a => a with { StepWeight = 0 }));
        await harness.TickAsync();

        harness.Store.Apply(Walkthrough.Canary());
        await harness.TickAsync();

        Assert.DoesNotContain(harness.Status.Conditions!, c => c.Type == CanaryCondition.ValidType);
        Assert.Equal(CanaryPhase.Initialized, harness.Status.Phase);
    }

    [Fact]
    public async Task One_bad_canary_does_not_stop_a_good_one_in_the_same_engine()
    {
        using var harness = new CanaryHarness(Walkthrough.Canary());
        harness.Store.Apply(Walkthrough.Canary(spec: s => s with { TargetRef = null }) with { Metadata = new ObjectMetadata { Name = "broken", Namespace = "test" } });

        var bad = await harness.Engine.TickAsync("test", "broken", TestContext.Current.CancellationToken);
        await harness.TickAsync();

        Assert.Contains(bad.Events, e => e.Message.Contains("spec.targetRef", StringComparison.Ordinal));
        Assert.Equal(CanaryPhase.Initialized, harness.Status.Phase);
    }

    [Fact]
    public async Task D19_a_tick_sooner_than_one_interval_after_a_step_does_not_step_again()
    {
        using var harness = new CanaryHarness(Walkthrough.Canary());
        await harness.TickUntilAsync(CanaryPhase.Initialized);
        harness.Workload.SetImage("v2");
        await harness.TicksAsync(2);
        var weight = harness.Status.CanaryWeight;
        Assert.True(weight > 0, "advanced once");

        // A restarted operator (or a new leader) ticks at once, seconds after the step its predecessor recorded.
        harness.Clock.Advance(TimeSpan.FromSeconds(5));
        var early = await harness.Engine.TickAsync("test", "podinfo", TestContext.Current.CancellationToken);
        Assert.Equal(weight, harness.Status.CanaryWeight);
        Assert.False(early.StatusWritten);

        await harness.TickAsync();
        Assert.True(harness.Status.CanaryWeight > weight, "the next interval steps");
    }

    [Fact]
    public async Task D19_a_step_the_router_serves_but_the_status_lacks_is_recorded_and_not_taken_again()
    {
        using var harness = new CanaryHarness(Walkthrough.Canary());
        await harness.TickUntilAsync(CanaryPhase.Initialized);
        harness.Workload.SetImage("v2");
        await harness.TicksAsync(2);
        var stepped = harness.Store.Get("test", "podinfo");
        Assert.Equal(10, harness.Mesh.Routes.CanaryWeight);

        // The operator died between the VirtualService write and the status write: the status still says 0.
        await harness.Store.UpdateStatusAsync(stepped, stepped.Status! with { CanaryWeight = 0, LastTransitionTime = stepped.Status.LastTransitionTime - TimeSpan.FromMinutes(1) }, TestContext.Current.CancellationToken);
        Assert.Equal(0, harness.Status.CanaryWeight);
        harness.Clock.Advance(TimeSpan.FromSeconds(5));
        await harness.Engine.TickAsync("test", "podinfo", TestContext.Current.CancellationToken);
        Assert.Equal(10, harness.Mesh.Routes.CanaryWeight);
        Assert.Equal(10, harness.Status.CanaryWeight);

        await harness.TickAsync();
        Assert.Equal(20, harness.Mesh.Routes.CanaryWeight);
    }
}
