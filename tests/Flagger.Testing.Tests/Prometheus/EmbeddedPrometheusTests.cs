using System.Globalization;
using System.Text.Json;
using Flagger.Testing.Dns;
using Flagger.Testing.Mesh;
using Flagger.Testing.Prometheus;
using Microsoft.Extensions.Time.Testing;

namespace Flagger.Testing.Tests.Prometheus;

/// <summary>
/// The real Prometheus started on the simulated mesh's series: any PromQL, evaluated in simulated time, reached as
/// <c>http://prometheus.istio-system:9090</c>. Needs the <c>prometheus</c> executable.
/// </summary>
public sealed class EmbeddedPrometheusTests
{
    private const string Manifests = """
        apiVersion: v1
        kind: Namespace
        metadata: {name: test}
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: podinfo, namespace: test}
        spec:
          selector: {matchLabels: {app: podinfo}}
          template:
            metadata: {labels: {app: podinfo}}
            spec:
              containers:
              - name: podinfod
                image: ghcr.io/stefanprodan/podinfo:6.0.1
                env:
                - {name: FLAGGER_SIM_ERROR_PERCENT, value: "40"}
                - {name: FLAGGER_SIM_LATENCY_MS, value: "480"}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: podinfo-canary, namespace: test}
        spec: {selector: {app: podinfo}, ports: [{port: 9898}]}
        """;

    [Fact]
    public async Task A_MetricTemplate_query_sees_one_simulated_minute_of_a_revision_failing_40_percent()
    {
        Assert.True(EmbeddedPrometheus.FindBinary() is not null, "prometheus is not installed: apt-get install prometheus");
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 16, 14, 0, 0, TimeSpan.Zero));
        await using var cluster = await TestCluster.StartAsync(time);
        cluster.Apply(Manifests);
        time.Advance(TimeSpan.FromSeconds(2));
        await cluster.WaitForControllersAsync(TestCluster.Ct);
        using var mesh = SimulatedMesh.Start(cluster);
        await using var prometheus = await EmbeddedPrometheus.StartAsync(cluster, mesh, new EmbeddedPrometheusOptions { ScrapeInterval = TimeSpan.FromMilliseconds(200) }, TestCluster.Ct);
        using var http = new HttpClient(new ClusterDnsHandler(cluster.Dns, "istio-system") { InnerHandler = new SocketsHttpHandler() });

        // Ten minutes of healthy-looking history is not in the window: only the last simulated minute counts.
        Assert.Null(mesh.Send(new Uri("http://podinfo-canary.test:9898/"), 10, TimeSpan.FromMinutes(10), "test"));
        for (var i = 0; i < 18; i++)
        {
            time.Advance(TimeSpan.FromSeconds(5));
            await WaitForScrapeAsync(http, time.GetUtcNow());
        }

        var successRate = await QueryAsync(http, """
            sum(rate(istio_requests_total{reporter="destination",destination_workload_namespace="test",destination_workload=~"podinfo",response_code!~"5.*"}[1m]))
            / sum(rate(istio_requests_total{reporter="destination",destination_workload_namespace="test",destination_workload=~"podinfo"}[1m])) * 100
            """, TestCluster.Ct);
        var perSecond = await QueryAsync(http, """sum(rate(istio_requests_total{reporter="destination",destination_workload="podinfo"}[1m]))""", TestCluster.Ct);
        var samples = await QueryAsync(http, """count_over_time(istio_requests_total{reporter="destination",destination_workload="podinfo",response_code="200"}[1m])""", TestCluster.Ct);
        var latency = await QueryAsync(http, """
            histogram_quantile(0.99, sum(rate(istio_request_duration_milliseconds_bucket{reporter="destination",destination_workload_namespace="test",destination_workload=~"podinfo"}[1m])) by (le))
            """, TestCluster.Ct);

        Assert.Equal(60, successRate.Value, 1);
        Assert.Equal(10, perSecond.Value, 1);
        // A scrape every 5 simulated seconds; Prometheus 2's ranges include both ends: 13 samples in one simulated minute.
        Assert.Equal(13, samples.Value);
        Assert.InRange(latency.Value, 250, 500);
        Assert.Equal(time.GetUtcNow().ToUnixTimeSeconds(), successRate.At, 1);
        Assert.NotNull(cluster.Dns.Find("istio-system", "prometheus"));
    }

    [Fact]
    public async Task The_kubernetes_providers_query_sees_a_daemonsets_requests_through_its_service()
    {
        Assert.True(EmbeddedPrometheus.FindBinary() is not null, "prometheus is not installed: apt-get install prometheus");
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 16, 14, 0, 0, TimeSpan.Zero));
        await using var cluster = await TestCluster.StartAsync(time);
        cluster.Apply("""
            apiVersion: v1
            kind: Namespace
            metadata: {name: test}
            ---
            apiVersion: apps/v1
            kind: DaemonSet
            metadata: {name: podinfo-ds, namespace: test}
            spec:
              selector: {matchLabels: {app: podinfo-ds}}
              template:
                metadata: {labels: {app: podinfo-ds}}
                spec:
                  containers:
                  - name: podinfod
                    image: ghcr.io/stefanprodan/podinfo:6.0.1
                    env:
                    - {name: FLAGGER_SIM_ERROR_PERCENT, value: "40"}
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: podinfo-ds-canary, namespace: test}
            spec: {selector: {app: podinfo-ds}, ports: [{port: 9898}]}
            """);
        time.Advance(TimeSpan.FromSeconds(2));
        await cluster.WaitForControllersAsync(TestCluster.Ct);
        using var mesh = SimulatedMesh.Start(cluster);
        await using var prometheus = await EmbeddedPrometheus.StartAsync(cluster, mesh, new EmbeddedPrometheusOptions { ScrapeInterval = TimeSpan.FromMilliseconds(200) }, TestCluster.Ct);
        using var http = new HttpClient(new ClusterDnsHandler(cluster.Dns, "istio-system") { InnerHandler = new SocketsHttpHandler() });

        Assert.Null(mesh.Send(new Uri("http://podinfo-ds-canary.test:9898/"), 10, TimeSpan.FromMinutes(10), "test"));
        for (var i = 0; i < 18; i++)
        {
            time.Advance(TimeSpan.FromSeconds(5));
            await WaitForScrapeAsync(http, time.GetUtcNow());
        }

        // The builtin request-success-rate of the kubernetes provider, on the application's own histogram.
        const string Pods = """kubernetes_namespace="test",kubernetes_pod_name=~"podinfo-ds-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)" """;
        var successRate = await QueryAsync(http, $$"""
            sum(rate(http_request_duration_seconds_count{{{Pods}},status!~"5.*"}[1m])) / sum(rate(http_request_duration_seconds_count{{{Pods}}}[1m])) * 100
            """, TestCluster.Ct);

        Assert.True(successRate.Found, "no http_request_duration_seconds series for the DaemonSet's pods");
        Assert.Equal(60, successRate.Value, 1);
    }

    private static async Task WaitForScrapeAsync(HttpClient http, DateTimeOffset now)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestCluster.Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        while (true)
        {
            // Sample values are not moved: a timestamp() of the scrape is on Prometheus' axis, 400 days back.
            var last = await QueryAsync(http, "max(timestamp(istio_requests_total))", timeout.Token);
            if (last.Found && last.Value >= (now - TimeSpan.FromDays(400)).ToUnixTimeMilliseconds() / 1000.0)
            {
                return;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(50), TimeProvider.System, timeout.Token);
        }
    }

    private static async Task<(bool Found, double Value, double At)> QueryAsync(HttpClient http, string query, CancellationToken ct)
    {
        var body = await http.GetStringAsync(new Uri($"http://prometheus.istio-system:9090/api/v1/query?query={Uri.EscapeDataString(query)}"), ct);
        using var json = JsonDocument.Parse(body);
        var result = json.RootElement.GetProperty("data").GetProperty("result");
        if (result.GetArrayLength() == 0)
        {
            return (false, double.NaN, double.NaN);
        }

        var value = result[0].GetProperty("value");
        return (true, double.Parse(value[1].GetString()!, CultureInfo.InvariantCulture), value[0].GetDouble());
    }
}
