using Flagger.Analysis;
using Flagger.Events;
using Flagger.Kubernetes.Leadership;
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
        Assert.Same(provider.GetRequiredService<ICanaryStore>(), provider.GetRequiredService<ISecretReader>());
        Assert.NotNull(provider.GetRequiredService<IEventRecorder>());
        Assert.NotNull(provider.GetRequiredService<ICanaryFeed>());
        Assert.NotNull(provider.GetRequiredService<ILeaseLeadership>());
        Assert.NotNull(provider.GetRequiredService<CanaryEngine>());
        Assert.Equal(["app", "name", "app.kubernetes.io/name"], provider.GetRequiredService<IOptions<KubernetesOptions>>().Value.SelectorLabels);
    }

    [Fact]
    public async Task Invalid_options_are_rejected_naming_the_flag()
    {
        await using var kube = await KubeCluster.StartAsync();
        await using var provider = Build(kube.Client, o =>
        {
            o.SelectorLabels.Clear();
            o.IncludeLabelPrefixes.Add(" ");
        });

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<KubernetesOptions>>().Value);

        Assert.Contains(error.Failures, f => f.StartsWith("selector-labels", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.StartsWith("include-label-prefix", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_feed_lists_canaries_then_asks_for_a_tick_when_their_target_changes()
    {
        await using var kube = await KubeCluster.StartAsync();
        await kube.ApplyWalkthroughAsync(hpa: false);
        await using var provider = Build(kube.Client);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(KubeCluster.Ct);
        stop.CancelAfter(TimeSpan.FromSeconds(20));
        await using var changes = provider.GetRequiredService<ICanaryFeed>().WatchAsync(stop.Token).GetAsyncEnumerator(stop.Token);

        Assert.True(await changes.MoveNextAsync());
        Assert.Equal((CanaryChangeType.Upserted, "podinfo"), (changes.Current.Type, changes.Current.Name));

        await kube.Client.AppsV1.PatchNamespacedDeploymentAsync(new V1Patch("""{"spec":{"template":{"spec":{"containers":[{"name":"podinfod","image":"stefanprodan/podinfo:1.4.1"}]}}}}""", V1Patch.PatchType.StrategicMergePatch), "podinfo", "test", cancellationToken: KubeCluster.Ct);
        do
        {
            Assert.True(await changes.MoveNextAsync());
        }
        while (changes.Current.Type != CanaryChangeType.TargetChanged);

        Assert.Equal(("test", "podinfo"), (changes.Current.Namespace, changes.Current.Name));
    }
}
