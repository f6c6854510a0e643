using System.Globalization;
using System.Text.Json.Nodes;
using Flagger.Cli.Tests.Fixtures;
using Flagger.Model;
using Flagger.Prometheus.Tests.Fixtures;
using k8s;
using k8s.Models;

namespace Flagger.Cli.Tests;

/// <summary>
/// <c>metrics test</c> renders a MetricTemplate for a canary and runs it against the real Prometheus scraping the
/// Istio exporter (podinfo answers 90% of requests without a 5xx), then gives the verdict of the canary's threshold.
/// </summary>
public sealed class MetricsTests(PrometheusServer prometheus) : IAsyncLifetime
{
    private const string SuccessRate =
        """sum(rate(istio_requests_total{reporter="destination",destination_workload_namespace="{{ namespace }}",destination_workload=~"{{ target }}",response_code!~"5.*"}[{{ interval }}])) / sum(rate(istio_requests_total{reporter="destination",destination_workload_namespace="{{ namespace }}",destination_workload=~"{{ target }}"}[{{ interval }}])) * 100""";

    private CliCluster cluster = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => cluster = await CliCluster.StartAsync();

    public ValueTask DisposeAsync() => cluster.DisposeAsync();

    [Fact]
    public async Task Metrics_test_prints_the_rendered_query_the_value_and_the_verdict_of_the_canarys_threshold()
    {
        cluster.Cluster.Apply(Template(prometheus.Address).ToJsonString(), "test");
        await cluster.CreateCanaryAsync("podinfo", "spec.analysis.metrics=[{\"name\":\"success\",\"interval\":\"1m\",\"templateRef\":{\"name\":\"success-rate\"},\"thresholdRange\":{\"min\":99}}]");

        var strict = await cluster.FlaggerAsync("metrics", "test", "success-rate", "--canary", "podinfo");
        Assert.True(strict.ExitCode == 1, strict.ToString());
        Assert.Equal("query:   " + SuccessRate.Replace("{{ namespace }}", "test", StringComparison.Ordinal).Replace("{{ target }}", "podinfo", StringComparison.Ordinal).Replace("{{ interval }}", "1m", StringComparison.Ordinal), strict.Lines[0]);
        var value = double.Parse(strict.Lines[1]["value:".Length..].Trim(), CultureInfo.InvariantCulture);
        Assert.InRange(value, 85, 95);
        Assert.Equal($"verdict: fail: {value.ToString(CultureInfo.InvariantCulture)} < 99 (thresholdRange.min)", strict.Lines[2]);

        await cluster.Kubernetes.CustomObjects.PatchNamespacedCustomObjectAsync(
            new V1Patch("""{"spec":{"analysis":{"metrics":[{"name":"success","interval":"1m","templateRef":{"name":"success-rate"},"thresholdRange":{"min":80}}]}}}""", V1Patch.PatchType.MergePatch),
            "flagger.app", "v1beta1", "test", "canaries", "podinfo", cancellationToken: Ct);
        var lenient = await cluster.FlaggerAsync("metrics", "test", "success-rate", "--canary", "podinfo", "-o", "json");
        Assert.True(lenient.ExitCode == 0, lenient.ToString());
        var document = JsonNode.Parse(lenient.Output)!;
        Assert.Equal("Value", (string?)document["outcome"]);
        Assert.StartsWith("pass: ", (string?)document["verdict"], StringComparison.Ordinal);
        Assert.Equal("success-rate.test", (string?)document["template"]);
    }

    [Fact]
    public async Task Metrics_test_of_a_comparison_judges_the_canarys_samples_against_the_primarys()
    {
        cluster.Cluster.Apply(Template(prometheus.Address).ToJsonString(), "test");
        await cluster.CreateCanaryAsync(
            "podinfo",
            "spec.analysis.metrics=[{\"name\":\"success\",\"interval\":\"2s\",\"templateRef\":{\"name\":\"success-rate\"},"
            + "\"comparison\":{\"method\":\"mann-whitney\",\"direction\":\"decrease\",\"margin\":1,\"confidence\":0.98}}]");

        // The window is the last ten metric intervals (20 s): the real Prometheus needs that long to hold ten samples a side.
        JsonNode document;
        var deadline = DateTime.UtcNow.AddSeconds(90);
        do
        {
            var run = await cluster.FlaggerAsync("metrics", "test", "success-rate", "--canary", "podinfo", "-o", "json");
            document = JsonNode.Parse(run.Output)!;
            if ((long?)document["comparison"]?["canaryCount"] >= 8 && (long?)document["comparison"]?["primaryCount"] >= 8)
            {
                Assert.True(run.ExitCode == 1, run.ToString());
                break;
            }

            await Task.Delay(TimeSpan.FromSeconds(2), Ct);
        }
        while (DateTime.UtcNow < deadline);

        var comparison = document["comparison"]!;
        Assert.Equal("mann-whitney", (string?)comparison["method"]);
        Assert.Equal("Fail", (string?)comparison["outcome"]);
        Assert.InRange((double)comparison["estimate"]!, -11, -8);  // canary ~90% against primary ~99.5%
        Assert.StartsWith("fail: ", (string?)document["verdict"], StringComparison.Ordinal);
        Assert.Contains("destination_workload=~\"podinfo-primary\"", (string?)document["primaryQuery"], StringComparison.Ordinal);

        var text = await cluster.FlaggerAsync("metrics", "test", "success-rate", "--canary", "podinfo");
        Assert.Equal(1, text.ExitCode);
        Assert.StartsWith("primary: ", text.Lines[2], StringComparison.Ordinal);
        Assert.Matches(@"^samples: shift -\d+(\.\d+)? \[.*\], n = \d+ canary / \d+ primary$", text.Lines[3]);
        Assert.StartsWith("verdict: fail: ", text.Lines[4], StringComparison.Ordinal);
    }

    private static JsonObject Template(Uri address) => new()
    {
        ["apiVersion"] = "flagger.app/v1beta1",
        ["kind"] = "MetricTemplate",
        ["metadata"] = new JsonObject { ["name"] = "success-rate", ["namespace"] = "test" },
        ["spec"] = new JsonObject
        {
            ["provider"] = new JsonObject { ["type"] = "prometheus", ["address"] = address.ToString() },
            ["query"] = SuccessRate,
        },
    };

    [Fact]
    public async Task Metrics_test_of_a_missing_template_says_so_as_the_operator_does()
    {
        await cluster.CreateCanaryAsync("podinfo");

        var result = await cluster.FlaggerAsync("metrics", "test", "missing", "--canary", "podinfo");

        Assert.Equal(1, result.ExitCode);
        Assert.Equal("error: Metric template missing.test error: not found", result.Error.Trim());
    }
}
