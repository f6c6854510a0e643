using Flagger.Fakes;
using Flagger.Model;
using Snapshooter.Xunit3;

namespace Flagger.Analysis;

/// <summary>The walkthrough's two event logs: a healthy revision promoted, a faulty one rolled back.</summary>
public sealed class WalkthroughTests
{
    [Fact]
    public async Task Healthy_revision_is_promoted_step_by_step()
    {
        using var harness = new CanaryHarness(Walkthrough.Canary());
        harness.Workload.CanaryRolloutChecks = 1;
        harness.Workload.PrimaryRolloutChecks = 1;
        await harness.TickUntilAsync(CanaryPhase.Initialized);

        harness.Workload.SetImage("podinfo:1.4.1");
        await harness.TickUntilAsync(CanaryPhase.Succeeded);

        Snapshot.Match(harness.Recorder.Lines.ToArray());
        Assert.Equal("podinfo:1.4.1", harness.Workload.PrimaryTemplate);
        Assert.Equal(0, harness.Workload.TargetReplicas);
        Assert.Equal(Routing.TrafficRoutes.AllToPrimary, harness.Mesh.Routes);
        Assert.Equal([10, 20, 30, 40, 50, 0], harness.Mesh.History.Select(r => r.CanaryWeight));
    }

    [Fact]
    public async Task Faulty_revision_is_rolled_back_when_failed_checks_reach_threshold()
    {
        using var harness = new CanaryHarness(Walkthrough.Canary());
        await harness.TickUntilAsync(CanaryPhase.Initialized);
        harness.Workload.SetImage("podinfo:1.4.2");
        harness.Metrics.ScriptSuccessRates(100, 100, 100, 69.17, 61.39, 55.06, 47.00, 38.08);

        await harness.TickUntilAsync(CanaryPhase.Failed);

        Snapshot.Match(harness.Recorder.Lines.ToArray());
        Assert.Equal("v1", harness.Workload.PrimaryTemplate);
        Assert.Equal(0, harness.Workload.TargetReplicas);
        Assert.Equal(Routing.TrafficRoutes.AllToPrimary, harness.Mesh.Routes);
        Assert.Equal(0, harness.Workload.Promotions);
    }
}
