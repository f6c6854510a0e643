using Flagger.Analysis;
using Flagger.Fakes;
using Flagger.Metrics;
using Flagger.Model;
using Flagger.Providers;
using Flagger.Routing;
using Flagger.Webhooks;
using k8s;
using k8s.Models;
using Microsoft.Extensions.DependencyInjection;

namespace Flagger.Kubernetes;

/// <summary>The engine with every Kubernetes adapter on the embedded cluster, the mesh and metrics in memory.</summary>
public sealed class EndToEndTests
{
    private sealed class Operator : IAsyncDisposable
    {
        private readonly ServiceProvider services;

        private Operator(KubeCluster kube)
        {
            Kube = kube;
            var collection = new ServiceCollection();
            collection.AddSingleton<TimeProvider>(kube.Clock);
            collection.AddSingleton(kube.Client);
            collection.AddSingleton<IWebhookClient>(Webhooks);
            collection.AddFlaggerEngine(o => o.MetricsServer = "http://prometheus.istio-system:9090")
                .AddKubernetes()
                .AddIstioDefaults()
                .AddProvider<IMeshRouter>("istio", Mesh)
                .AddProvider<IMetricsProviderFactory>("prometheus", Metrics);
            services = collection.BuildServiceProvider();
            Engine = services.GetRequiredService<CanaryEngine>();
        }

        public KubeCluster Kube { get; }

        public SimulatedMesh Mesh { get; } = new();

        public ScriptedMetrics Metrics { get; } = new();

        public ScriptedWebhooks Webhooks { get; } = new();

        public CanaryEngine Engine { get; }

        public List<string> Events { get; } = [];

        public static async Task<Operator> StartAsync()
        {
            var kube = await KubeCluster.StartAsync();
            await kube.ApplyAsync(await KubeCluster.ArtifactAsync("canaries/deployment.yaml"));
            await kube.ApplyAsync(await KubeCluster.ArtifactAsync("canaries/hpa.yaml"));
            await kube.ApplyAsync("""
                apiVersion: v1
                kind: ConfigMap
                metadata:
                  name: podinfo-config
                  namespace: test
                data:
                  color: blue
                """);

            // The walkthrough's Deployment, with one tracked ConfigMap mounted.
            await kube.PatchDeploymentAsync("podinfo", """{"spec":{"template":{"spec":{"containers":[{"name":"podinfod","envFrom":[{"configMapRef":{"name":"podinfo-config"}}]}]}}}}""");
            await kube.ApplyAsync(KubeCluster.YamlToJson(await KubeCluster.ArtifactAsync("canaries/canary.yaml")));
            await kube.SettleAsync();
            return new Operator(kube);
        }

        public async Task<TickReport> TickAsync()
        {
            await Kube.AdvanceAsync(TimeSpan.FromMinutes(1));
            var writes = Kube.Cluster.Requests.Count("update", "canaries/status") + Kube.Cluster.Requests.Count("patch", "canaries/status");
            var report = await Engine.TickAsync("test", "podinfo", KubeCluster.Ct);

            // Departure 8: at most one status write per tick, none when nothing changed.
            var written = Kube.Cluster.Requests.Count("update", "canaries/status") + Kube.Cluster.Requests.Count("patch", "canaries/status") - writes;
            Assert.Equal(report.StatusWritten ? 1 : 0, written);
            Events.AddRange(report.Events.Select(e => e.ToString()));
            return report;
        }

        public async Task<CanaryPhase?> TickUntilAsync(CanaryPhase phase, int max = 30)
        {
            for (var i = 0; i < max; i++)
            {
                var report = await TickAsync();
                if (report.Canary?.Status?.Phase == phase)
                {
                    return phase;
                }
            }

            throw new InvalidOperationException($"not {phase} after {max} ticks:\n{string.Join("\n", Events)}");
        }

        public async ValueTask DisposeAsync()
        {
            await services.DisposeAsync();
            await Kube.DisposeAsync();
        }
    }

    [Fact]
    public async Task The_walkthrough_revision_is_promoted()
    {
        await using var op = await Operator.StartAsync();
        await op.TickUntilAsync(CanaryPhase.Initialized);
        Assert.Equal(0, (await op.Kube.DeploymentAsync("podinfo")).Spec.Replicas);
        Assert.Equal("blue", (await op.Kube.Client.CoreV1.ReadNamespacedConfigMapAsync("podinfo-config-primary", "test", cancellationToken: KubeCluster.Ct)).Data["color"]);
        Assert.NotNull(await op.Kube.Client.AutoscalingV2.ReadNamespacedHorizontalPodAutoscalerAsync("podinfo-primary", "test", cancellationToken: KubeCluster.Ct));

        await op.Kube.PatchDeploymentAsync("podinfo", """{"spec":{"template":{"spec":{"containers":[{"name":"podinfod","image":"stefanprodan/podinfo:1.4.1"}]}}}}""");
        await op.Kube.Client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch("""{"data":{"color":"green"}}""", V1Patch.PatchType.MergePatch), "podinfo-config", "test", cancellationToken: KubeCluster.Ct);
        await op.TickUntilAsync(CanaryPhase.Succeeded);

        var primary = await op.Kube.DeploymentAsync("podinfo-primary");
        Assert.Equal("stefanprodan/podinfo:1.4.1", primary.Spec.Template.Spec.Containers[0].Image);
        Assert.Equal("podinfo-config-primary", primary.Spec.Template.Spec.Containers[0].EnvFrom[0].ConfigMapRef.Name);
        Assert.Equal(0, (await op.Kube.DeploymentAsync("podinfo")).Spec.Replicas);
        Assert.Equal("green", (await op.Kube.Client.CoreV1.ReadNamespacedConfigMapAsync("podinfo-config-primary", "test", cancellationToken: KubeCluster.Ct)).Data["color"]);
        Assert.Contains(op.Events, e => e.Contains("New revision detected! Scaling up podinfo.test", StringComparison.Ordinal));
        Assert.Contains(op.Events, e => e.Contains("Promotion completed! Scaling down podinfo.test", StringComparison.Ordinal));
        var canary = await op.Kube.CanaryAsync();
        Assert.Equal(CanaryPhase.Succeeded, canary.Status?.Phase);
        Assert.Contains("configmap/podinfo-config", canary.Status!.TrackedConfigs!.Keys);

        // Once promoted, the canary idles on the caches: no reads, no writes.
        await op.Kube.SettleAsync();
        op.Kube.Cluster.Requests.Reset();
        for (var i = 0; i < 3; i++)
        {
            op.Kube.Clock.Advance(TimeSpan.FromMinutes(1));
            await op.Kube.Cluster.WaitForControllersAsync(KubeCluster.Ct);
            Assert.False((await op.Engine.TickAsync("test", "podinfo", KubeCluster.Ct)).StatusWritten);
        }

        Assert.Equal(0, op.Kube.Cluster.Requests.Total - op.Kube.Cluster.Requests["watch"]);
    }

    [Fact]
    public async Task A_failing_revision_is_rolled_back_and_the_primary_left_untouched()
    {
        await using var op = await Operator.StartAsync();
        await op.TickUntilAsync(CanaryPhase.Initialized);
        var before = await op.Kube.DeploymentAsync("podinfo-primary");

        await op.Kube.PatchDeploymentAsync("podinfo", """{"spec":{"template":{"spec":{"containers":[{"name":"podinfod","image":"stefanprodan/podinfo:1.4.2"}]}}}}""");
        op.Metrics.SuccessRate = 80;
        await op.TickUntilAsync(CanaryPhase.Failed);

        var primary = await op.Kube.DeploymentAsync("podinfo-primary");
        Assert.Equal("stefanprodan/podinfo:1.4.0", primary.Spec.Template.Spec.Containers[0].Image);
        Assert.Equal(before.Metadata.Generation, primary.Metadata.Generation);
        Assert.Equal(0, (await op.Kube.DeploymentAsync("podinfo")).Spec.Replicas);
        Assert.Contains(op.Events, e => e.Contains("Canary failed! Scaling down podinfo.test", StringComparison.Ordinal));
        Assert.Equal(TrafficRoutes.AllToPrimary, op.Mesh.Routes);
    }

    [Fact]
    public async Task An_idle_canary_costs_no_reads_and_no_writes_per_tick()
    {
        await using var op = await Operator.StartAsync();
        await op.TickUntilAsync(CanaryPhase.Initialized);
        await op.TickAsync();
        await op.Kube.SettleAsync();

        op.Kube.Cluster.Requests.Reset();
        for (var i = 0; i < 5; i++)
        {
            op.Kube.Clock.Advance(TimeSpan.FromMinutes(1));
            await op.Kube.Cluster.WaitForControllersAsync(KubeCluster.Ct);
            var report = await op.Engine.TickAsync("test", "podinfo", KubeCluster.Ct);
            Assert.False(report.StatusWritten);
        }

        var counts = op.Kube.Cluster.Requests.Snapshot();
        var description = string.Join(", ", counts.Select(kv => $"{kv.Key}={kv.Value}"));
        Assert.True(counts.GetValueOrDefault("get") == 0 && counts.GetValueOrDefault("list") == 0, $"reads during 5 idle ticks: {description}");
        Assert.True(counts.Where(kv => kv.Key is "create" or "update" or "patch" or "delete").Sum(kv => kv.Value) == 0, $"writes during 5 idle ticks: {description}");
    }
}
