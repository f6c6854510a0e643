using Flagger.Analysis;
using Flagger.Model;
using Flagger.Routing;
using Prometheus;

namespace Flagger.Hosting.Metrics;

public sealed class CanaryMetricsTests
{
    private static readonly Canary Podinfo = new()
    {
        Metadata = new ObjectMetadata { Name = "podinfo", Namespace = "test" },
        Spec = new CanarySpec { TargetRef = new ObjectReference { Kind = "Deployment", Name = "podinfo" }, Analysis = new CanaryAnalysis { StepWeight = 10 } },
    };

    private static async Task<string> ExportAsync(CanaryMetrics metrics)
    {
        using var stream = new MemoryStream();
        await metrics.Registry.CollectAndExportAsTextAsync(stream, TestContext.Current.CancellationToken);
        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    [Theory]
    [InlineData(CanaryPhase.Progressing, 0)]
    [InlineData(CanaryPhase.Failed, 2)]
    [InlineData(CanaryPhase.Succeeded, 1)]
    [InlineData(CanaryPhase.Waiting, 1)]
    [InlineData(CanaryPhase.Initialized, 1)]
    [InlineData(null, 1)]
    public void Status_value_keeps_flaggers_scale(CanaryPhase? phase, int value) =>
        Assert.Equal(value, CanaryMetrics.StatusValue(phase));

    [Fact]
    public async Task A_progressing_tick_exports_status_weights_and_metric_values()
    {
        var metrics = new CanaryMetrics(Prometheus.Metrics.NewCustomRegistry());
        metrics.SetInfo("0.1.0", "istio");
        metrics.SetTotals([Podinfo]);

        metrics.Record(
            new TickReport
            {
                Canary = Podinfo with { Status = new CanaryStatus { Phase = CanaryPhase.Progressing, CanaryWeight = 30 } },
                Routes = new TrafficRoutes(70, 30),
                Metrics = [new MetricObservation("request-success-rate", 99.5), new MetricObservation("request-duration", 0.12)],
            },
            TimeSpan.FromMilliseconds(40));

        var text = await ExportAsync(metrics);
        Assert.Contains("flagger_info{version=\"0.1.0\",mesh_provider=\"istio\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("flagger_canary_total{namespace=\"test\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("flagger_canary_status{name=\"podinfo\",namespace=\"test\"} 0", text, StringComparison.Ordinal);
        Assert.Contains("flagger_canary_weight{workload=\"podinfo-primary\",namespace=\"test\"} 70", text, StringComparison.Ordinal);
        Assert.Contains("flagger_canary_weight{workload=\"podinfo\",namespace=\"test\"} 30", text, StringComparison.Ordinal);
        Assert.Contains("flagger_canary_metric_analysis{name=\"podinfo\",namespace=\"test\",metric=\"request-duration\"} 0.12", text, StringComparison.Ordinal);
        Assert.Contains("flagger_canary_duration_seconds_count{name=\"podinfo\",namespace=\"test\"} 1", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Failed_notifications_are_counted_by_kind()
    {
        var metrics = new CanaryMetrics(Prometheus.Metrics.NewCustomRegistry());

        metrics.Record(
            new TickReport
            {
                Canary = Podinfo with { Status = new CanaryStatus { Phase = CanaryPhase.Failed } },
                EffectFailures = [new EffectFailure("alert", "on-call", "no answer within 10s"), new EffectFailure("alert", "team", "no answer within 10s"), new EffectFailure("event", "Canary failed!", "forbidden")],
            },
            TimeSpan.Zero);

        var text = await ExportAsync(metrics);
        Assert.Contains("flagger_canary_notification_failures_total{name=\"podinfo\",namespace=\"test\",kind=\"alert\"} 2", text, StringComparison.Ordinal);
        Assert.Contains("flagger_canary_notification_failures_total{name=\"podinfo\",namespace=\"test\",kind=\"event\"} 1", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Outcomes_count_promotions_and_rollbacks_by_strategy()
    {
        var metrics = new CanaryMetrics(Prometheus.Metrics.NewCustomRegistry());
        var succeeded = Podinfo with { Status = new CanaryStatus { Phase = CanaryPhase.Succeeded } };
        var failed = Podinfo with { Status = new CanaryStatus { Phase = CanaryPhase.Failed } };

        metrics.Record(new TickReport { Canary = succeeded, Outcome = RunOutcome.Promoted }, TimeSpan.Zero);
        metrics.Record(new TickReport { Canary = succeeded, Outcome = RunOutcome.PromotedWithoutAnalysis }, TimeSpan.Zero);
        metrics.Record(new TickReport { Canary = failed, Outcome = RunOutcome.RolledBack }, TimeSpan.Zero);

        var text = await ExportAsync(metrics);
        Assert.Contains("flagger_canary_successes_total{name=\"podinfo\",namespace=\"test\",deployment_strategy=\"canary\",analysis_status=\"completed\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("flagger_canary_successes_total{name=\"podinfo\",namespace=\"test\",deployment_strategy=\"canary\",analysis_status=\"skipped\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("flagger_canary_failures_total{name=\"podinfo\",namespace=\"test\",deployment_strategy=\"canary\",analysis_status=\"completed\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("flagger_canary_status{name=\"podinfo\",namespace=\"test\"} 2", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_deleted_canary_leaves_no_series_behind_and_the_others_stay()
    {
        var metrics = new CanaryMetrics(Prometheus.Metrics.NewCustomRegistry());
        var backend = Podinfo with { Metadata = Podinfo.Metadata with { Name = "backend" }, Spec = Podinfo.Spec with { TargetRef = new ObjectReference { Name = "backend" } } };
        metrics.Record(FailedTick(Podinfo), TimeSpan.FromMilliseconds(40));
        metrics.Record(FailedTick(backend), TimeSpan.FromMilliseconds(40));

        metrics.RemoveCanary("test", "podinfo");

        var text = await ExportAsync(metrics);
        Assert.DoesNotContain("name=\"podinfo\"", text, StringComparison.Ordinal);
        Assert.DoesNotContain("workload=\"podinfo", text, StringComparison.Ordinal);
        Assert.Contains("flagger_canary_status{name=\"backend\",namespace=\"test\"} 2", text, StringComparison.Ordinal);
        Assert.Contains("flagger_canary_metric_analysis{name=\"backend\",namespace=\"test\",metric=\"error-rate\"} 7", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Clearing_on_leadership_loss_removes_every_canary_series_and_total_but_not_the_info()
    {
        var metrics = new CanaryMetrics(Prometheus.Metrics.NewCustomRegistry());
        metrics.SetInfo("0.1.0", "istio");
        metrics.AddToTotal("test");
        metrics.Record(FailedTick(Podinfo), TimeSpan.FromMilliseconds(40));

        metrics.ClearCanaries();

        var text = await ExportAsync(metrics);
        Assert.DoesNotContain("flagger_canary_status{", text, StringComparison.Ordinal);
        Assert.DoesNotContain("flagger_canary_total{", text, StringComparison.Ordinal);
        Assert.DoesNotContain("flagger_canary_failures_total{", text, StringComparison.Ordinal);
        Assert.Contains("flagger_info{version=\"0.1.0\",mesh_provider=\"istio\"} 1", text, StringComparison.Ordinal);
    }

    private static TickReport FailedTick(Canary canary) => new()
    {
        Canary = canary with { Status = new CanaryStatus { Phase = CanaryPhase.Failed } },
        Outcome = RunOutcome.RolledBack,
        Routes = new TrafficRoutes(100, 0),
        Metrics = [new MetricObservation("error-rate", 7)],
    };

    [Fact]
    public async Task A_namespace_whose_last_canary_is_deleted_counts_zero()
    {
        var metrics = new CanaryMetrics(Prometheus.Metrics.NewCustomRegistry());
        metrics.SetTotals([Podinfo, Podinfo with { Metadata = Podinfo.Metadata with { Name = "backend" } }]);

        metrics.SetTotals([]);

        Assert.Contains("flagger_canary_total{namespace=\"test\"} 0", await ExportAsync(metrics), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Totals_move_by_one_as_canaries_come_and_go()
    {
        var metrics = new CanaryMetrics(Prometheus.Metrics.NewCustomRegistry());
        metrics.AddToTotal("test");
        metrics.AddToTotal("test");
        metrics.AddToTotal("other");

        metrics.RemoveFromTotal("test");
        metrics.RemoveFromTotal("other");

        var text = await ExportAsync(metrics);
        Assert.Contains("flagger_canary_total{namespace=\"test\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("flagger_canary_total{namespace=\"other\"} 0", text, StringComparison.Ordinal);
    }
}
