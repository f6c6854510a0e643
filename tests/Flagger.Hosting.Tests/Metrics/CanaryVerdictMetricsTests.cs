using Flagger.Analysis;
using Flagger.Model;
using Prometheus;

namespace Flagger.Hosting.Metrics;

public sealed class CanaryVerdictMetricsTests
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

    private static TickReport Checked(Canary canary, params (string Metric, string Verdict)[] verdicts) => new()
    {
        Canary = canary with
        {
            Status = new CanaryStatus
            {
                Phase = CanaryPhase.Progressing,
                Metrics = [.. verdicts.Select(v => new CanaryMetricStatus { Name = v.Metric, Verdict = v.Verdict })],
            },
        },
        StatusWritten = true,
    };

    [Theory]
    [InlineData("Pass", 1)]
    [InlineData("Inconclusive", 0)]
    [InlineData("Fail", -1)]
    [InlineData("NoValues", -2)]
    [InlineData("Failed", -3)]
    public void Verdicts_map_to_gauge_values(string verdict, int value) => Assert.Equal(value, CanaryMetrics.VerdictValue(verdict));

    [Fact]
    public async Task Each_metrics_verdict_is_exported_and_removed_with_the_canary()
    {
        var metrics = new CanaryMetrics(Prometheus.Metrics.NewCustomRegistry());
        var backend = Podinfo with { Metadata = Podinfo.Metadata with { Name = "backend" }, Spec = Podinfo.Spec with { TargetRef = new ObjectReference { Name = "backend" } } };
        metrics.Record(Checked(Podinfo, ("request-success-rate", "Inconclusive"), ("request-duration", "Pass")), TimeSpan.Zero);
        metrics.Record(Checked(backend, ("request-success-rate", "Fail")), TimeSpan.Zero);

        var text = await ExportAsync(metrics);
        Assert.Contains("flagger_canary_metric_verdict{name=\"podinfo\",namespace=\"test\",metric=\"request-success-rate\"} 0", text, StringComparison.Ordinal);
        Assert.Contains("flagger_canary_metric_verdict{name=\"podinfo\",namespace=\"test\",metric=\"request-duration\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("flagger_canary_metric_verdict{name=\"backend\",namespace=\"test\",metric=\"request-success-rate\"} -1", text, StringComparison.Ordinal);

        metrics.RemoveCanary("test", "podinfo");

        text = await ExportAsync(metrics);
        Assert.DoesNotContain("flagger_canary_metric_verdict{name=\"podinfo\"", text, StringComparison.Ordinal);
        Assert.Contains("flagger_canary_metric_verdict{name=\"backend\",namespace=\"test\",metric=\"request-success-rate\"} -1", text, StringComparison.Ordinal);
    }
}
