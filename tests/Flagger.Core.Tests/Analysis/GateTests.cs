using Flagger.Fakes;
using Flagger.Model;
using Flagger.Routing;
using Flagger.Webhooks;

namespace Flagger.Analysis;

/// <summary>Each gate of a tick, in the order the engine passes them.</summary>
public sealed class GateTests
{
    [Fact]
    public async Task New_canary_creates_primary_hands_it_traffic_and_is_initialized()
    {
        using var harness = new CanaryHarness(Walkthrough.Canary());

        var report = await harness.TickAsync();

        Assert.Equal(CanaryPhase.Initialized, harness.Status.Phase);
        Assert.Equal(["create-primary", "scale-to-zero"], harness.Workload.Calls);
        Assert.Equal(1, harness.Mesh.Reconciles);
        Assert.Equal(harness.Status.LastAppliedSpec, harness.Status.LastPromotedSpec);
        Assert.Contains(harness.Status.Conditions!, c => c is { Type: "Promoted", Status: "True", Reason: "Initialized", Message: "Deployment initialization completed." });
        Assert.Equal(1, harness.Store.StatusWrites);
        Assert.True(report.StatusWritten);
    }

    [Fact]
    public async Task Primary_not_ready_keeps_canary_initializing_and_says_why()
    {
        using var harness = new CanaryHarness(Walkthrough.Canary());
        harness.Workload.PrimaryRolloutChecks = 0;
        harness.Workload.PrimaryPastDeadline = true;

        await harness.TicksAsync(2);

        Assert.Equal(CanaryPhase.Initializing, harness.Status.Phase);
        Assert.Contains("Warning deployment \"podinfo-primary\" exceeded its progress deadline", harness.Recorder.Lines);
    }

    [Fact]
    public async Task Missing_target_is_said_on_the_status_once_and_cleared_when_it_appears()
    {
        using var harness = new CanaryHarness(Walkthrough.Canary());
        harness.Workload.Missing = true;

        await harness.TicksAsync(3);

        const string Missing = "deployment podinfo.test get query error: deployments.apps \"podinfo\" not found";
        var condition = Assert.Single(harness.Status.Conditions!, c => c.Type == "ResolvedRefs");
        Assert.Equal(("False", "TargetNotFound"), (condition.Status, condition.Reason));
        Assert.Equal($"{Missing}: create it, or name an existing workload in spec.targetRef", condition.Message);
        Assert.Equal(1, harness.Store.StatusWrites);
        Assert.Equal(3, harness.Recorder.Lines.Count(l => l == $"Warning {Missing}"));
        Assert.Empty(harness.Workload.Calls);

        harness.Workload.Missing = false;
        await harness.TickUntilAsync(CanaryPhase.Initialized);

        Assert.DoesNotContain(harness.Status.Conditions!, c => c.Type == "ResolvedRefs");
        Assert.Contains("create-primary", harness.Workload.Calls);
    }

    [Fact]
    public async Task Suspended_canary_only_says_it_is_suspended()
    {
        using var harness = new CanaryHarness(Walkthrough.Canary(spec: s => s with { Suspend = true }));

        var report = await harness.TickAsync();

        Assert.Equal(["Normal skipping canary run as object is suspended"], harness.Recorder.Lines);
        Assert.False(report.StatusWritten);
        Assert.Empty(harness.Workload.Calls);
    }

    [Fact]
    public async Task Idle_succeeded_canary_writes_nothing_and_says_nothing()
    {
        using var harness = new CanaryHarness(Walkthrough.Canary());
        await harness.TickUntilAsync(CanaryPhase.Initialized);
        var writes = harness.Store.StatusWrites;
        var events = harness.Recorder.Events.Count;

        await harness.TicksAsync(5);

        Assert.Equal(writes, harness.Store.StatusWrites);
        Assert.Equal(events, harness.Recorder.Events.Count);
    }

    [Fact]
    public async Task Each_tick_writes_status_at_most_once()
    {
        using var harness = new CanaryHarness(Walkthrough.Canary());
        await harness.TickUntilAsync(CanaryPhase.Initialized);
        harness.Workload.SetImage("v2");

        var ticks = await harness.TickUntilAsync(CanaryPhase.Succeeded);

        Assert.True(harness.Store.StatusWrites <= ticks + 1, $"{harness.Store.StatusWrites} writes in {ticks + 1} ticks");
    }

    [Fact]
    public async Task Failed_revision_is_not_retried_until_the_target_changes()
    {
        using var harness = new CanaryHarness(Walkthrough.Canary(a => a with { Threshold = 1 }));
        await harness.TickUntilAsync(CanaryPhase.Initialized);
        harness.Workload.SetImage("bad");
        harness.Metrics.SuccessRate = 10;
        await harness.TickUntilAsync(CanaryPhase.Failed);
        var events = harness.Recorder.Events.Count;

        await harness.TicksAsync(3);
        Assert.Equal(events, harness.Recorder.Events.Count);
        Assert.Equal(CanaryPhase.Failed, harness.Status.Phase);

        harness.Workload.SetImage("v1");
        await harness.TicksAsync(2);
        Assert.Equal(CanaryPhase.Failed, harness.Status.Phase);

        harness.Workload.SetImage("fixed");
        harness.Metrics.SuccessRate = 100;
        await harness.TickAsync();
        Assert.Equal(CanaryPhase.Progressing, harness.Status.Phase);
        Assert.Equal("Normal New revision detected! Scaling up podinfo.test", harness.Recorder.Lines.Last());
    }

    [Fact]
    public async Task Changed_config_is_a_new_revision()
    {
        using var harness = new CanaryHarness(Walkthrough.Canary());
        harness.Workload.Configs["configmap/podinfo-config"] = "aaaa";
        await harness.TickUntilAsync(CanaryPhase.Initialized);
        Assert.Equal("aaaa", harness.Status.TrackedConfigs!["configmap/podinfo-config"]);

        harness.Workload.Configs["configmap/podinfo-config"] = "bbbb";
        await harness.TickAsync();

        Assert.Equal(CanaryPhase.Progressing, harness.Status.Phase);
    }

    [Fact]
    public async Task New_revision_during_analysis_restarts_it_with_traffic_on_primary()
    {
        using var harness = new CanaryHarness(Walkthrough.Canary());
        await harness.TickUntilAsync(CanaryPhase.Initialized);
        harness.Workload.SetImage("v2");
        await harness.TicksAsync(3);
        Assert.Equal(20, harness.Mesh.Routes.CanaryWeight);

        harness.Workload.SetImage("v3");
        await harness.TickAsync();

        Assert.Equal("Normal New revision detected! Restarting analysis for podinfo.test", harness.Recorder.Lines.Last());
        Assert.Equal(TrafficRoutes.AllToPrimary, harness.Mesh.Routes);
        Assert.Equal(0, harness.Status.CanaryWeight);
        Assert.Equal(CanaryPhase.Progressing, harness.Status.Phase);
    }

    [Fact]
    public async Task Canary_not_ready_waits_without_counting_a_failed_check()
    {
        using var harness = new CanaryHarness(Walkthrough.Canary());
        harness.Workload.CanaryRolloutChecks = 3;
        await harness.TickUntilAsync(CanaryPhase.Initialized);
        harness.Workload.SetImage("v2");

        await harness.TicksAsync(4);

        Assert.Equal(3, harness.Recorder.Lines.Count(l => l.StartsWith("Warning Waiting for podinfo.test rollout to finish", StringComparison.Ordinal)));
        Assert.Equal(0, harness.Status.FailedChecks);
    }

    [Fact]
    public async Task Skip_analysis_promotes_the_ready_canary_in_one_tick()
    {
        using var harness = new CanaryHarness(Walkthrough.Canary(spec: s => s with { SkipAnalysis = true }));
        await harness.TickUntilAsync(CanaryPhase.Initialized);
        harness.Workload.SetImage("v2");

        await harness.TicksAsync(2);

        Assert.Equal(CanaryPhase.Succeeded, harness.Status.Phase);
        Assert.Equal("Normal Promotion completed! Canary analysis was skipped for podinfo.test", harness.Recorder.Lines.Last());
        Assert.Equal("v2", harness.Workload.PrimaryTemplate);
        Assert.Empty(harness.Metrics.Queries);
        Assert.Equal(RunOutcome.PromotedWithoutAnalysis, harness.Reports[^1].Outcome);
    }

    [Fact]
    public async Task Provider_error_is_reported_and_retried_without_writing_status()
    {
        using var harness = new CanaryHarness(Walkthrough.Canary());
        await harness.TickUntilAsync(CanaryPhase.Initialized);
        harness.Workload.SetImage("v2");
        await harness.TicksAsync(2);
        var status = harness.Status;
        harness.Mesh.FailWith = "virtualservices.networking.istio.io \"podinfo\" is forbidden";

        var report = await harness.TickAsync();

        Assert.False(report.StatusWritten);
        Assert.Equal(status, harness.Status);
        Assert.Equal("Warning virtualservices.networking.istio.io \"podinfo\" is forbidden", harness.Recorder.Lines.Last());

        harness.Mesh.FailWith = null;
        await harness.TickAsync();
        Assert.Equal(20, harness.Status.CanaryWeight);
    }

    [Fact]
    public async Task Webhook_payload_names_the_canary_its_phase_and_revision()
    {
        using var harness = new CanaryHarness(Walkthrough.Canary());
        await harness.TickUntilAsync(CanaryPhase.Initialized);
        harness.Workload.SetImage("v2");
        await harness.TicksAsync(3);

        var (hook, payload) = harness.Webhooks.Calls.Single();
        Assert.Equal("load-test", hook.Name);
        Assert.Equal("podinfo", payload.Name);
        Assert.Equal("test", payload.Namespace);
        Assert.Equal("Progressing", payload.Phase);
        Assert.Equal(SpecHash.ComputeChecksum(harness.Status), payload.Checksum);
        Assert.Equal("hey -z 1m -q 10 -c 2 http://podinfo-canary.test:9898/", payload.Metadata!["cmd"]);
    }

    [Fact]
    public async Task Event_webhook_receives_every_event_with_its_type_and_time()
    {
        var canary = Walkthrough.Canary(a => a with { Webhooks = [new CanaryWebhook { Name = "events", Type = "event", Url = "http://events/" }] });
        using var harness = new CanaryHarness(canary);

        await harness.TickAsync();

        var messages = harness.Webhooks.Calls.Select(c => c.Payload.Metadata!["eventMessage"]).ToArray();
        Assert.Equal(["all the metrics providers are available!", "Initialization done! podinfo.test"], messages);
        Assert.All(harness.Webhooks.Calls, c => Assert.Equal("Normal", c.Payload.Metadata!["eventType"]));
        Assert.Equal(harness.Clock.GetUtcNow().ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture), harness.Webhooks.Calls[0].Payload.Metadata!["timestamp"]);
    }

    [Fact]
    public async Task Failed_rollout_hook_halts_and_counts()
    {
        using var harness = new CanaryHarness(Walkthrough.Canary());
        await harness.TickUntilAsync(CanaryPhase.Initialized);
        harness.Workload.SetImage("v2");
        await harness.TicksAsync(2);
        harness.Webhooks.Answers["load-test"] = WebhookResult.Failure("connection refused");

        await harness.TickAsync();

        Assert.Equal("Warning Halt podinfo.test advancement external check load-test failed connection refused", harness.Recorder.Lines.Last());
        Assert.Equal(1, harness.Status.FailedChecks);
        Assert.Equal(10, harness.Mesh.Routes.CanaryWeight);
    }

    [Fact]
    public async Task An_event_the_api_server_refuses_does_not_undo_the_tick()
    {
        using var harness = new CanaryHarness(Walkthrough.Canary());
        await harness.TickUntilAsync(CanaryPhase.Initialized);
        harness.Workload.SetImage("v2");
        await harness.TickAsync();
        harness.Recorder.Unreachable = true;

        var report = await harness.TickAsync();

        // Traffic moved and the status records it, though "Advance ... canary weight 10" was never written.
        Assert.True(report.StatusWritten);
        Assert.Equal(10, harness.Mesh.Routes.CanaryWeight);
        Assert.Equal(10, harness.Status.CanaryWeight);
    }
}
