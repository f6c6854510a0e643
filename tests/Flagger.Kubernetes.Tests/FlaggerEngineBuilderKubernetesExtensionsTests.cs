using Flagger.Analysis;
using Flagger.Events;
using Flagger.Kubernetes.Leadership;
using Flagger.Leadership;
using Flagger.Providers;
using Flagger.Routing;
using Flagger.Store;
using Flagger.Targets;
using Flagger.Webhooks;
using k8s;
using k8s.Models;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Flagger.Kubernetes;

public sealed class FlaggerEngineBuilderKubernetesExtensionsTests
{
    private static ServiceProvider Build(IKubernetes client, Action<KubernetesOptions>? configure = null)
    {
        var services = new ServiceCollection();
        services.AddSingleton(client);
        services.AddSingleton<IWebhookClient>(new Fakes.ScriptedWebhooks());
        services.AddFlaggerEngine().AddKubernetes(configure).AddKubernetes();
        return services.BuildServiceProvider();
    }

    [Fact]
    public async Task Registers_every_adapter_under_Flagger_names()
    {
        await using var kube = await KubeCluster.StartAsync();
        await using var provider = Build(kube.Client);

        Assert.NotNull(provider.GetRequiredKeyedService<ITargetController>("Deployment"));
        Assert.NotNull(provider.GetRequiredKeyedService<ITargetController>("DaemonSet"));
        Assert.NotNull(provider.GetRequiredKeyedService<IScalerReconciler>("HorizontalPodAutoscaler"));
        Assert.NotNull(provider.GetRequiredKeyedService<IServiceRouter>(FlaggerEngineBuilder.ServiceRouterName));
        Assert.NotNull(provider.GetRequiredKeyedService<IMeshRouter>("kubernetes"));
        Assert.Equal(new RouterCapabilities { ShiftsWeights = false, Mirrors = false }, provider.GetRequiredKeyedService<RouterCapabilities>("kubernetes"));
        Assert.Same(provider.GetRequiredService<ICanaryStore>(), provider.GetRequiredService<ISecretReader>());
        Assert.NotNull(provider.GetRequiredService<IEventRecorder>());
        Assert.NotNull(provider.GetRequiredService<ICanaryFeed>());
        Assert.NotNull(provider.GetRequiredService<ILeaseLeadership>());
        Assert.NotNull(provider.GetRequiredService<CanaryEngine>());
        Assert.Equal(["app", "name", "app.kubernetes.io/name"], provider.GetRequiredService<IOptions<KubernetesOptions>>().Value.SelectorLabels);
    }

    [Theory]
    [InlineData(false, typeof(AlwaysLeader))]
    [InlineData(true, typeof(LeaseLeadership))]
    public async Task The_leader_gate_is_the_Lease_only_when_leader_election_is_enabled(bool enabled, Type expected)
    {
        await using var kube = await KubeCluster.StartAsync();
        await using var provider = Build(kube.Client, o => o.EnableLeaderElection = enabled);

        Assert.IsType(expected, provider.GetRequiredService<ILeaderGate>());
    }

    [Fact]
    public async Task The_caches_back_off_on_the_cache_clock_when_one_is_set()
    {
        // A harness that runs the operator on a scaled or fake clock sets CacheClock: a failed list is retried when
        // that clock has moved past the backoff (at most 300 ms after a first failure), never on the wall clock.
        await using var kube = await KubeCluster.StartAsync();
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        var lists = 0;
        kube.Cluster.Faults.FailRequests(1.0, 500, r => r.Resource == "deployments" && r.Verb == "list" && Interlocked.Increment(ref lists) == 1);
        await using var provider = Build(kube.Client, o => o.CacheClock = clock);
        var cache = provider.GetRequiredService<Caches.ClusterCache>();

        var sync = cache.SyncAsync(KubeCluster.Ct);
        for (var waited = 0; Volatile.Read(ref lists) < 1; waited += 10)
        {
            Assert.True(waited < 10_000, "the cache never listed Deployments");
            await Task.Delay(10, KubeCluster.Ct);
        }

        await Task.Delay(500, KubeCluster.Ct);
        Assert.False(sync.IsCompleted, "synced without the failed list being retried");
        Assert.Equal(1, Volatile.Read(ref lists));

        clock.Advance(TimeSpan.FromMilliseconds(300));
        await sync.WaitAsync(TimeSpan.FromSeconds(10), KubeCluster.Ct);
        Assert.Equal(2, Volatile.Read(ref lists));
    }

    [Fact]
    public async Task Invalid_options_are_rejected_naming_the_flag()
    {
        await using var kube = await KubeCluster.StartAsync();
        await using var provider = Build(kube.Client, o =>
        {
            o.SelectorLabels.Clear();
            o.IncludeLabelPrefixes.Add(" ");
            o.ConflictRetries = -1;
        });

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<KubernetesOptions>>().Value);

        Assert.Contains(error.Failures, f => f.StartsWith("selector-labels", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.StartsWith("include-label-prefix", StringComparison.Ordinal));
        Assert.Contains("conflict retries: must be zero or more, got -1", error.Failures);
    }

    [Fact]
    public async Task The_feed_lists_canaries_then_asks_for_a_tick_when_their_target_changes()
    {
        await using var kube = await KubeCluster.StartAsync();
        await kube.ApplyAsync("""
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: podinfo-config
              namespace: test
            data:
              color: blue
            """);
        await kube.ApplyWalkthroughAsync(hpa: false);
        await kube.PatchDeploymentAsync("podinfo", """{"spec":{"template":{"spec":{"containers":[{"name":"podinfod","envFrom":[{"configMapRef":{"name":"podinfo-config"}}]}]}}}}""");
        await kube.AdvanceAsync(TimeSpan.FromSeconds(5));
        await using var provider = Build(kube.Client);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(KubeCluster.Ct);
        stop.CancelAfter(TimeSpan.FromSeconds(20));
        await using var changes = provider.GetRequiredService<ICanaryFeed>().WatchAsync(stop.Token).GetAsyncEnumerator(stop.Token);

        Assert.True(await changes.MoveNextAsync());
        Assert.Equal((CanaryChangeType.Upserted, "podinfo"), (changes.Current.Type, changes.Current.Name));

        await kube.Client.AppsV1.PatchNamespacedDeploymentAsync(new V1Patch("""{"spec":{"template":{"spec":{"containers":[{"name":"podinfod","image":"stefanprodan/podinfo:1.4.1"}]}}}}""", V1Patch.PatchType.StrategicMergePatch), "podinfo", "test", cancellationToken: KubeCluster.Ct);
        var seen = new List<string>();
        do
        {
            Assert.True(await changes.MoveNextAsync());
            seen.Add(changes.Current.Type.ToString());
        }
        while (changes.Current.Type != CanaryChangeType.TargetChanged);

        Assert.Equal(("test", "podinfo"), (changes.Current.Namespace, changes.Current.Name));

        // Rollout progress (status only) and unrelated configs ask for nothing; a referenced ConfigMap does.
        await kube.AdvanceAsync(TimeSpan.FromSeconds(5));
        await kube.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "unrelated" } }, "test", cancellationToken: KubeCluster.Ct);
        await kube.Client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch("""{"data":{"color":"green"}}""", V1Patch.PatchType.MergePatch), "podinfo-config", "test", cancellationToken: KubeCluster.Ct);
        await kube.SettleAsync();
        Assert.True(await changes.MoveNextAsync());
        Assert.Equal(CanaryChangeType.TargetChanged, changes.Current.Type);
        var next = changes.MoveNextAsync().AsTask();
        await Task.Delay(300, KubeCluster.Ct);
        Assert.False(next.IsCompleted, next.IsCompleted ? string.Join(",", seen) : null);

        // An async iterator cannot be disposed while a MoveNext is pending: end it first.
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => next);
    }
}
