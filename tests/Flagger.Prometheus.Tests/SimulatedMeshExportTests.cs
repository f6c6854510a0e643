using Flagger.Metrics;
using Flagger.Prometheus.Tests.Fixtures;
using Flagger.Testing;
using Flagger.Testing.Mesh;
using Microsoft.Extensions.DependencyInjection;

namespace Flagger.Prometheus.Tests;

/// <summary>
/// The demo's <c>--prometheus</c> mode: the simulated mesh's series, scraped by the real Prometheus, read back through
/// this provider with Istio's builtin queries.
/// </summary>
public sealed class SimulatedMeshExportTests(PrometheusServer prometheus)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_revision_with_simulated_faults_shows_them_through_Prometheus()
    {
        await using var cluster = await EmbeddedCluster.StartAsync(Ct);
        cluster.Apply("""
            apiVersion: v1
            kind: Namespace
            metadata: {name: meshtest}
            ---
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: meshinfo, namespace: meshtest}
            spec:
              selector: {matchLabels: {app: meshinfo}}
              template:
                metadata: {labels: {app: meshinfo}}
                spec:
                  containers:
                  - name: podinfod
                    image: quay.io/stefanprodan/podinfo:1.4.2
                    env:
                    - {name: FLAGGER_SIM_ERROR_PERCENT, value: "25"}
                    - {name: FLAGGER_SIM_LATENCY_MS, value: "280"}
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: meshinfo-canary, namespace: meshtest}
            spec: {selector: {app: meshinfo}, ports: [{port: 9898}]}
            """);
        using var mesh = SimulatedMesh.Start(cluster, new SimulatedMeshOptions { ScrapeInterval = TimeSpan.FromSeconds(1) });
        await WaitAsync(() => mesh.Send(new Uri("http://meshinfo-canary.meshtest:9898/"), 50, TimeSpan.FromMinutes(2), "meshtest") is null);
        prometheus.Exporter.AddSource(mesh.Counters);
        using var services = Prometheus.Services();
        var observer = services.GetRequiredKeyedService<IMetricObserver>("istio");
        var provider = services.Provider(prometheus.Address);

        MetricQueryResult successRate = MetricQueryResult.NoValues();
        await WaitAsync(async () =>
        {
            successRate = await provider.RunQueryAsync(Builtin(observer.RequestSuccessRateQuery), Ct);
            return successRate.Outcome == MetricQueryOutcome.Value;
        });
        var duration = await provider.RunQueryAsync(Builtin(observer.RequestDurationQuery), Ct);

        Assert.InRange(successRate.Value, 74.5, 75.5);
        Assert.InRange(duration.Value, 297, 303);
    }

    /// <summary>A builtin query for the mesh's workload, in its own namespace so the fixture's series stay as they were.</summary>
    private static string Builtin(string template) =>
        MetricQueryRenderer.Render(template, new MetricQueryVariables { Name = "meshinfo", Namespace = "meshtest", Target = "meshinfo", Service = "meshinfo", Interval = "10s" }).Query!;

    private static Task WaitAsync(Func<bool> condition) => WaitAsync(() => Task.FromResult(condition()));

    /// <summary>Polls on the wall clock: the Deployment's rollout and Prometheus' scrapes both run on it.</summary>
    private static async Task WaitAsync(Func<Task<bool>> condition)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(20));
        while (!await condition())
        {
            await Task.Delay(TimeSpan.FromMilliseconds(200), TimeProvider.System, timeout.Token);
        }
    }
}
