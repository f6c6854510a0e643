using Flagger.Metrics;
using Flagger.Prometheus;
using Flagger.Testing.Mesh;
using Microsoft.Extensions.Time.Testing;

namespace Flagger.Testing.Tests.Mesh;

/// <summary>The simulated Istio mesh: routing from the cluster's objects, faults from pod templates, Istio's series.</summary>
public sealed class SimulatedMeshTests
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
                image: quay.io/stefanprodan/podinfo:1.4.2
                env:
                - {name: FLAGGER_SIM_ERROR_PERCENT, value: "40"}
                - {name: FLAGGER_SIM_LATENCY_MS, value: "280"}
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: podinfo-primary, namespace: test}
        spec:
          selector: {matchLabels: {app: podinfo-primary}}
          template:
            metadata: {labels: {app: podinfo-primary}}
            spec:
              containers:
              - {name: podinfod, image: quay.io/stefanprodan/podinfo:1.4.1}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: podinfo-canary, namespace: test}
        spec: {selector: {app: podinfo}, ports: [{port: 9898}]}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: podinfo-primary, namespace: test}
        spec: {selector: {app: podinfo-primary}, ports: [{port: 9898}]}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: podinfo, namespace: test}
        spec: {selector: {app: podinfo-primary}, ports: [{port: 9898}]}
        ---
        apiVersion: networking.istio.io/v1beta1
        kind: VirtualService
        metadata: {name: podinfo, namespace: test}
        spec:
          hosts: [podinfo, app.example.com]
          http:
          - route:
            - {destination: {host: podinfo-primary}, weight: 70}
            - {destination: {host: podinfo-canary}, weight: 30}
        """;

    [Fact]
    public async Task The_apex_host_is_split_by_the_VirtualService_weights_and_each_revision_answers_with_its_faults()
    {
        var (cluster, time, mesh) = await StartAsync();
        await using var _ = cluster;
        using var __ = mesh;

        Assert.Null(mesh.Send(new Uri("http://podinfo.test:9898/"), 100, TimeSpan.FromMinutes(5), "test"));
        Advance(time, TimeSpan.FromMinutes(1));

        var canary = mesh.Increase("test", "podinfo", TimeSpan.FromMinutes(1))!;
        var primary = mesh.Increase("test", "podinfo-primary", TimeSpan.FromMinutes(1))!;
        Assert.Equal(0.3, canary.Total / (canary.Total + primary.Total), 3);
        Assert.Equal(0.4, canary.Failed / canary.Total, 3);
        Assert.Equal(0, primary.Failed);
        Assert.Equal(300, IstioHistogram.Quantile(0.99, canary.Buckets, canary.Total), 3);
        Assert.Equal(20, IstioHistogram.Quantile(0.99, primary.Buckets, primary.Total), 3);
    }

    [Fact]
    public async Task The_builtin_Istio_queries_are_answered_for_the_canary_service_and_no_traffic_means_no_values()
    {
        var (cluster, time, mesh) = await StartAsync();
        await using var _ = cluster;
        using var __ = mesh;
        var metrics = new SimulatedMeshMetrics(mesh).Create(new MetricsProviderSettings { Type = "prometheus" });
        var observer = new IstioMetricObserver();
        string Render(string template) => template.Replace("{{ namespace }}", "test", StringComparison.Ordinal).Replace("{{ target }}", "podinfo", StringComparison.Ordinal).Replace("{{ interval }}", "1m", StringComparison.Ordinal);

        var idle = await metrics.RunQueryAsync(Render(observer.RequestSuccessRateQuery), TestCluster.Ct);
        Assert.Equal(MetricQueryOutcome.NoValues, idle.Outcome);

        Assert.Null(mesh.Send(new Uri("http://podinfo-canary.test:9898/"), 20, TimeSpan.FromMinutes(1), "test"));
        Advance(time, TimeSpan.FromSeconds(30));
        var successRate = await metrics.RunQueryAsync(Render(observer.RequestSuccessRateQuery), TestCluster.Ct);
        var duration = await metrics.RunQueryAsync(Render(observer.RequestDurationQuery), TestCluster.Ct);
        Assert.Equal(60, successRate.Value, 3);
        Assert.Equal(300, duration.Value, 3);
        Assert.Null(mesh.Increase("test", "podinfo-primary", TimeSpan.FromMinutes(1)));

        // The load ends; a minute later the window holds no requests, as a real rate() would.
        Advance(time, TimeSpan.FromMinutes(2));
        Assert.Equal(MetricQueryOutcome.NoValues, (await metrics.RunQueryAsync(Render(observer.RequestSuccessRateQuery), TestCluster.Ct)).Outcome);

        var custom = await metrics.RunQueryAsync("sum(up)", TestCluster.Ct);
        Assert.Equal(MetricQueryOutcome.Failed, custom.Outcome);
        Assert.Contains("--prometheus", custom.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_host_without_a_Service_does_not_resolve()
    {
        var (cluster, _, mesh) = await StartAsync();
        await using var _ = cluster;
        using var __ = mesh;

        Assert.Equal("dial tcp: lookup flagger-loadtester.test: no such host", mesh.Send(new Uri("http://flagger-loadtester.test/"), 10, TimeSpan.FromMinutes(1)));
        Assert.Equal(("test", "podinfo-canary"), mesh.ResolveService("podinfo-canary.test.svc.cluster.local"));
        Assert.Equal(("test", "podinfo-canary"), mesh.ResolveService("podinfo-canary", "test"));
        Assert.Null(mesh.ResolveService("podinfo-canary", "default"));
    }

    [Fact]
    public async Task The_exposition_carries_Istio_series_per_workload()
    {
        var (cluster, time, mesh) = await StartAsync();
        await using var _ = cluster;
        using var __ = mesh;
        mesh.Send(new Uri("http://podinfo-canary.test:9898/"), 10, TimeSpan.FromMinutes(1), "test");
        Advance(time, TimeSpan.FromSeconds(10));

        var text = IstioExposition.Write(mesh.Counters());

        Assert.Contains("istio_requests_total{reporter=\"destination\",destination_workload_namespace=\"test\",destination_workload=\"podinfo\",response_code=\"503\"} 40", text, StringComparison.Ordinal);
        Assert.Contains("istio_requests_total{reporter=\"destination\",destination_workload_namespace=\"test\",destination_workload=\"podinfo\",response_code=\"200\"} 60", text, StringComparison.Ordinal);
        Assert.Contains("istio_request_duration_milliseconds_bucket{reporter=\"destination\",destination_workload_namespace=\"test\",destination_workload=\"podinfo\",le=\"+Inf\"} 100", text, StringComparison.Ordinal);
        Assert.DoesNotContain("podinfo-primary", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Requests_from_pods_are_counted_with_the_status_they_were_answered_with()
    {
        var (cluster, _, mesh) = await StartAsync();
        await using var _ = cluster;
        using var __ = mesh;

        // The walkthrough's "watch curl http://podinfo-canary:9898/status/500" from the tester pod, three times.
        for (var i = 0; i < 3; i++)
        {
            var answer = await cluster.PodNetwork.SendAsync("test", "tester", "GET", "http://podinfo-canary:9898/status/500", TestCluster.Ct);
            Assert.Equal(500, answer!.StatusCode);
        }

        // Through the apex host: split 70/30 by the VirtualService; podinfo's 40% fault rate applies to its share.
        await cluster.PodNetwork.SendAsync("test", "tester", "GET", "http://podinfo:9898/", TestCluster.Ct);

        var counters = mesh.Counters().ToDictionary(c => c.Workload);
        Assert.Equal(3.3, counters["podinfo"].Total, 6);
        Assert.Equal(3 + (0.3 * 0.4), counters["podinfo"].Failed, 6);
        Assert.Equal(0.7, counters["podinfo-primary"].Total, 6);
        Assert.Equal(0, counters["podinfo-primary"].Failed);
    }

    private static async Task<(EmbeddedCluster Cluster, FakeTimeProvider Time, SimulatedMesh Mesh)> StartAsync()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 16, 14, 0, 0, TimeSpan.Zero));
        var cluster = await TestCluster.StartAsync(time);
        cluster.Apply(Manifests);
        time.Advance(TimeSpan.FromSeconds(2));
        await cluster.WaitForControllersAsync(TestCluster.Ct);
        return (cluster, time, SimulatedMesh.Start(cluster));
    }

    /// <summary>Advances the clock one scrape interval at a time, so every scrape happens.</summary>
    private static void Advance(FakeTimeProvider time, TimeSpan span)
    {
        for (var step = TimeSpan.Zero; step < span; step += TimeSpan.FromSeconds(5))
        {
            time.Advance(TimeSpan.FromSeconds(5));
        }
    }
}
