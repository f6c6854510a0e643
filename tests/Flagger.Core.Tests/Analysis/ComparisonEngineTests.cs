using Flagger.Fakes;
using Flagger.Metrics;
using Flagger.Model;

namespace Flagger.Analysis;

/// <summary>The walkthrough's canary with its success rate judged against the primary instead of the 99% threshold.</summary>
public sealed class ComparisonEngineTests
{
    private static Canary Compared(int? maxInconclusive = null, string method = ComparisonMethods.Sequential, int progressDeadlineSeconds = 600) =>
        Walkthrough.Canary(
            a => a with
            {
                MaxInconclusive = maxInconclusive,
                Metrics = [new CanaryMetric { Name = "request-success-rate", Interval = "1m", Comparison = new MetricComparison { Method = method } }],
                Webhooks = [],
            },
            s => s with { ProgressDeadlineSeconds = progressDeadlineSeconds });

    private static (CanaryHarness Harness, SimulatedComparisonMetrics Metrics) Start(Canary canary, int seed = 7)
    {
        CanaryHarness? harness = null;
        var metrics = new SimulatedComparisonMetrics(() => harness!.Mesh.Routes, seed);
        harness = new CanaryHarness(canary, o => o.MetricsProviderType = "simulated", b => b.AddProvider<IMetricsProviderFactory>("simulated", metrics));
        return (harness, metrics);
    }

    [Fact]
    public async Task Canary_with_three_points_more_errors_than_its_primary_is_rolled_back()
    {
        var (harness, metrics) = Start(Compared(maxInconclusive: 2));
        using var _ = harness;
        await harness.TickUntilAsync(CanaryPhase.Initialized);
        harness.Workload.SetImage("podinfo:1.4.2");
        metrics.CanaryErrorRate = 0.035;

        await harness.TickUntilAsync(CanaryPhase.Failed);

        var metric = Assert.Single(harness.Status.Metrics!);
        Assert.Equal("Fail", metric.Verdict);
        Assert.Equal("sequential", metric.Method);
        Assert.Equal("failure-rate ratio", metric.Estimand);
        Assert.True(metric.Lower > 1, $"interval [{metric.Lower}, {metric.Upper}] should exclude 1");
        Assert.Contains(harness.Recorder.Lines, l => l.Contains("Halt podinfo.test advancement request-success-rate canary failure rate differs", StringComparison.Ordinal));
        Assert.Equal(0, harness.Workload.Promotions);
    }

    [Fact]
    public async Task Canary_as_good_as_its_primary_is_promoted_after_max_inconclusive_steps()
    {
        var (harness, metrics) = Start(Compared(maxInconclusive: 2));
        using var _ = harness;
        await harness.TickUntilAsync(CanaryPhase.Initialized);
        harness.Workload.SetImage("podinfo:1.4.1");

        await harness.TickUntilAsync(CanaryPhase.Succeeded);

        Assert.Equal("podinfo:1.4.1", harness.Workload.PrimaryTemplate);
        Assert.Contains(harness.Recorder.Lines, l => l.Contains("without a verdict (maxInconclusive 2)", StringComparison.Ordinal));
        Assert.DoesNotContain(harness.Recorder.Lines, l => l.Contains("differs from the primary", StringComparison.Ordinal));
        Assert.Equal([10, 20, 30, 40, 50, 0], harness.Mesh.History.Select(r => r.CanaryWeight));
    }

    [Fact]
    public async Task Inconclusive_comparison_holds_the_weight_and_accumulates_counts_across_steps()
    {
        var (harness, metrics) = Start(Compared(maxInconclusive: 2));
        using var _ = harness;
        await harness.TickUntilAsync(CanaryPhase.Initialized);
        harness.Workload.SetImage("podinfo:1.4.1");
        await harness.TickUntilAsync(CanaryPhase.Progressing);
        await harness.TicksAsync(5);

        var status = harness.Status;
        var metric = Assert.Single(status.Metrics!);
        Assert.Equal("Inconclusive", metric.Verdict);
        Assert.Equal(0, status.FailedChecks);
        Assert.NotNull(metric.Counts);
        Assert.True(metric.Counts.Count >= 2, "one count segment per weight");
        Assert.Equal(metric.Counts.Sum(s => s.CanaryRequests), metric.CanaryCount);
        Assert.InRange(metric.History!.Count, 1, CanaryMetricStatus.HistoryLength);
        Assert.Contains(harness.Recorder.Lines, l => l.Contains("Halt podinfo.test advancement comparison inconclusive (1 interval)", StringComparison.Ordinal));

        // The evidence lives in the status: it round-trips through JSON as the API server stores it.
        var json = FlaggerJson.Serialize(harness.Store.Get("test", "podinfo"));
        var read = FlaggerJson.DeserializeCanary(json).Status!.Metrics!.Single();
        Assert.Equal(metric, read);
    }

    [Fact]
    public async Task Sequential_evidence_is_read_back_from_the_status_so_an_operator_restart_keeps_it()
    {
        var (harness, _) = Start(Compared(maxInconclusive: 3));
        using var _ = harness;
        await harness.TickUntilAsync(CanaryPhase.Initialized);
        harness.Workload.SetImage("podinfo:1.4.1");
        await harness.TickUntilAsync(CanaryPhase.Progressing);
        await harness.TicksAsync(2);

        // What a restarted operator has: the stored Canary and nothing else. Give it evidence the engine never saw.
        var stored = harness.Store.Get("test", "podinfo");
        var metric = stored.Status!.Metrics!.Single();
        var earlier = new Judges.CountSegment(0.05, 40, 1000, 5, 19000);
        await harness.Store.UpdateStatusAsync(stored, stored.Status with { Metrics = [metric with { Counts = [earlier, .. metric.Counts!] }] }, TestContext.Current.CancellationToken);
        await harness.TickAsync();

        var after = harness.Status.Metrics!.Single();
        Assert.Equal(earlier, after.Counts![0]);
        Assert.True(after.CanaryCount > 1000 + metric.CanaryCount, $"{after.CanaryCount} canary requests, {metric.CanaryCount} before");
    }

    [Fact]
    public async Task Without_max_inconclusive_the_canary_is_rolled_back_at_the_progress_deadline_with_the_reason()
    {
        var (harness, _) = Start(Compared(progressDeadlineSeconds: 180));
        using var _ = harness;
        await harness.TickUntilAsync(CanaryPhase.Initialized);
        harness.Workload.SetImage("podinfo:1.4.1");

        await harness.TickUntilAsync(CanaryPhase.Failed);

        Assert.Contains(harness.Recorder.Lines, l => l.Contains("Rolling back podinfo.test comparison inconclusive for 180s, past the progress deadline of 180s", StringComparison.Ordinal));
        Assert.Equal(0, harness.Status.FailedChecks);
        Assert.Equal([10, 0], harness.Mesh.History.Select(r => r.CanaryWeight));
    }

    [Fact]
    public async Task Sequential_latency_comparison_rolls_back_a_slower_canary_from_its_duration_histogram()
    {
        var canary = Walkthrough.Canary(
            a => a with
            {
                MaxInconclusive = 2,
                Metrics = [new CanaryMetric { Name = "request-duration", Interval = "1m", Comparison = new MetricComparison { Method = ComparisonMethods.Sequential, Margin = ComparisonMargin.Parse("10%") } }],
                Webhooks = [],
            });
        var (harness, metrics) = Start(canary);
        using var _ = harness;
        await harness.TickUntilAsync(CanaryPhase.Initialized);
        harness.Workload.SetImage("podinfo:1.4.2");
        metrics.CanaryMedianMilliseconds = 300;

        await harness.TickUntilAsync(CanaryPhase.Failed);

        var metric = Assert.Single(harness.Status.Metrics!);
        Assert.Equal("Fail", metric.Verdict);
        Assert.Equal("CDF gap", metric.Estimand);
        Assert.NotNull(metric.Latency);
        Assert.Equal(metric.CanaryCount, metric.Latency.Canary[^1]);
        Assert.Contains(harness.Recorder.Lines, l => l.Contains("Halt podinfo.test advancement request-duration canary latency distribution is slower than the primary's", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Mann_whitney_compares_per_interval_samples_of_both_sides()
    {
        var (harness, metrics) = Start(Compared(maxInconclusive: 1, method: ComparisonMethods.MannWhitney));
        using var _ = harness;
        await harness.TickUntilAsync(CanaryPhase.Initialized);
        harness.Workload.SetImage("podinfo:1.4.2");
        metrics.CanaryErrorRate = 0.2;

        await harness.TickUntilAsync(CanaryPhase.Failed);

        var metric = Assert.Single(harness.Status.Metrics!);
        Assert.Equal("mann-whitney", metric.Method);
        Assert.Equal("Fail", metric.Verdict);
        Assert.True(metric.Upper < 0, $"the canary's success rate is lower: [{metric.Lower}, {metric.Upper}]");
    }

    [Fact]
    public async Task Threshold_metrics_are_recorded_in_status_metrics_with_their_history()
    {
        using var harness = new CanaryHarness(Walkthrough.Canary());
        await harness.TickUntilAsync(CanaryPhase.Initialized);
        harness.Workload.SetImage("podinfo:1.4.1");
        harness.Metrics.ScriptSuccessRates(100, 100, 98);
        await harness.TicksAsync(5);

        var metrics = harness.Status.Metrics!;
        Assert.Equal(["request-success-rate", "request-duration"], metrics.Select(m => m.Name));
        Assert.All(metrics, m => Assert.Equal("threshold", m.Method));
        var rate = metrics[0];
        Assert.Equal(rate.Value < 99 ? "Fail" : "Pass", rate.Verdict);
        Assert.Contains(98, rate.History!);
        Assert.Equal(1, harness.Status.FailedChecks);
        Assert.Equal(120, metrics[1].Value);
    }
}
