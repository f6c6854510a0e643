using Flagger.Store;
using k8s;
using k8s.Models;

namespace Flagger.Kubernetes.Store;

public sealed class KubernetesCanaryFeedTests
{
    [Fact]
    public async Task Lists_each_canary_once_then_says_so_and_ignores_status_writes_but_not_spec_changes()
    {
        await using var kube = await KubeCluster.StartAsync();
        await kube.ApplyWalkthroughAsync(hpa: false);
        await kube.SettleAsync();
        var feed = new KubernetesCanaryFeed(kube.Cache);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(KubeCluster.Ct);
        stop.CancelAfter(TimeSpan.FromSeconds(20));
        await using var changes = feed.WatchAsync(stop.Token).GetAsyncEnumerator(stop.Token);

        Assert.True(await changes.MoveNextAsync());
        Assert.Equal((CanaryChangeType.Upserted, "podinfo"), (changes.Current.Type, changes.Current.Name));
        Assert.True(await changes.MoveNextAsync());
        Assert.Equal(CanaryChangeType.Listed, changes.Current.Type);

        // A status write comes back through the watch (the store's write-through can lose the race with its own
        // watch event, and another replica's writes never go through it): it must not ask for another tick.
        await kube.Client.CustomObjects.PatchNamespacedCustomObjectStatusAsync(
            new V1Patch("""{"status":{"phase":"Progressing","canaryWeight":10}}""", V1Patch.PatchType.MergePatch), "flagger.app", "v1beta1", "test", "canaries", "podinfo", cancellationToken: KubeCluster.Ct);
        await kube.SettleAsync();
        var next = changes.MoveNextAsync().AsTask();
        await Task.Delay(300, KubeCluster.Ct);
        Assert.False(next.IsCompleted, next.IsCompleted ? $"unexpected {changes.Current.Type} after a status write" : null);

        // A spec change does.
        await kube.Client.CustomObjects.PatchNamespacedCustomObjectAsync(
            new V1Patch("""{"spec":{"analysis":{"stepWeight":20}}}""", V1Patch.PatchType.MergePatch), "flagger.app", "v1beta1", "test", "canaries", "podinfo", cancellationToken: KubeCluster.Ct);
        Assert.True(await next);
        Assert.Equal(CanaryChangeType.Upserted, changes.Current.Type);
        Assert.Equal(20, changes.Current.Canary!.Spec.GetAnalysis()!.StepWeight);

        await kube.Client.CustomObjects.DeleteNamespacedCustomObjectAsync("flagger.app", "v1beta1", "test", "canaries", "podinfo", cancellationToken: KubeCluster.Ct);
        do
        {
            Assert.True(await changes.MoveNextAsync());
        }
        while (changes.Current.Type != CanaryChangeType.Deleted);

        Assert.Equal(("test", "podinfo"), (changes.Current.Namespace, changes.Current.Name));
    }

    [Fact]
    public async Task A_canary_deleted_and_created_again_while_the_watch_was_down_is_a_change_even_at_the_same_generation()
    {
        await using var kube = await KubeCluster.StartAsync();
        await kube.ApplyWalkthroughAsync(hpa: false);
        await kube.SettleAsync();
        var feed = new KubernetesCanaryFeed(kube.Cache);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(KubeCluster.Ct);
        stop.CancelAfter(TimeSpan.FromSeconds(30));
        await using var changes = feed.WatchAsync(stop.Token).GetAsyncEnumerator(stop.Token);
        while (await changes.MoveNextAsync() && changes.Current.Type != CanaryChangeType.Listed)
        {
        }

        var first = kube.Cache.Canaries.Get("test", "podinfo")!;

        // The Canary watch is down while the Canary is deleted and created again (generation 1 both times); it comes
        // back with 410 Gone, so the informer relists and sees only a new object under the old name.
        var watchesRefused = 0;
        kube.Cluster.Faults.FailRequests(1.0, 503, r => r is { Verb: "watch", Resource: "canaries" } && Interlocked.Increment(ref watchesRefused) > 0);
        kube.Cluster.Faults.DropWatches();
        for (var waited = 0; Volatile.Read(ref watchesRefused) == 0; waited += 20)
        {
            Assert.True(waited < 10_000, "the Canary watch was never resumed");
            await Task.Delay(20, KubeCluster.Ct);
        }

        await kube.Client.CustomObjects.DeleteNamespacedCustomObjectAsync("flagger.app", "v1beta1", "test", "canaries", "podinfo", cancellationToken: KubeCluster.Ct);
        var canary = KubeCluster.YamlToJson(await KubeCluster.ArtifactAsync("canaries/canary.yaml"));
        canary["spec"]!.AsObject().Remove("autoscalerRef");
        await kube.ApplyAsync(canary);
        kube.Cluster.Faults.Reset();
        var gone = 0;
        kube.Cluster.Faults.FailRequests(1.0, 410, r => r is { Verb: "watch", Resource: "canaries" } && Interlocked.Increment(ref gone) == 1);

        Assert.True(await changes.MoveNextAsync());
        Assert.Equal((CanaryChangeType.Upserted, "podinfo"), (changes.Current.Type, changes.Current.Name));
        Assert.NotEqual(first.Metadata.Uid, changes.Current.Canary!.Metadata.Uid);
        Assert.Equal(first.Metadata.Generation, changes.Current.Canary.Metadata.Generation);
    }

    [Fact]
    public async Task Deleted_workloads_are_forgotten()
    {
        await using var kube = await KubeCluster.StartAsync();
        await kube.ApplyWalkthroughAsync(hpa: false);
        await kube.SettleAsync();
        var feed = new KubernetesCanaryFeed(kube.Cache);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(KubeCluster.Ct);
        stop.CancelAfter(TimeSpan.FromSeconds(20));
        await using var changes = feed.WatchAsync(stop.Token).GetAsyncEnumerator(stop.Token);
        while (await changes.MoveNextAsync() && changes.Current.Type != CanaryChangeType.Listed)
        {
        }

        var before = feed.WorkloadGenerations;
        var podinfo = await kube.DeploymentAsync("podinfo");
        for (var i = 0; i < 20; i++)
        {
            var copy = new V1Deployment { Metadata = new V1ObjectMeta { Name = $"churn-{i}", NamespaceProperty = "test" }, Spec = podinfo.Spec };
            await kube.Client.AppsV1.CreateNamespacedDeploymentAsync(copy, "test", cancellationToken: KubeCluster.Ct);
        }

        await kube.SettleAsync();
        Assert.Equal(before + 20, feed.WorkloadGenerations);

        for (var i = 0; i < 20; i++)
        {
            await kube.Client.AppsV1.DeleteNamespacedDeploymentAsync($"churn-{i}", "test", cancellationToken: KubeCluster.Ct);
        }

        await kube.SettleAsync();
        Assert.Equal(before, feed.WorkloadGenerations);
    }

    [Fact]
    public async Task An_empty_cluster_is_listed_at_once()
    {
        await using var kube = await KubeCluster.StartAsync();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(KubeCluster.Ct);
        stop.CancelAfter(TimeSpan.FromSeconds(20));
        await using var changes = new KubernetesCanaryFeed(kube.Cache).WatchAsync(stop.Token).GetAsyncEnumerator(stop.Token);

        Assert.True(await changes.MoveNextAsync());
        Assert.Equal(new CanaryChange(CanaryChangeType.Listed, string.Empty, string.Empty), changes.Current);
        await stop.CancelAsync();
    }
}
