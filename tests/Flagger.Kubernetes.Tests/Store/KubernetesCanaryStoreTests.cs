using Flagger.Model;
using k8s;
using k8s.Models;

namespace Flagger.Kubernetes.Store;

public sealed class KubernetesCanaryStoreTests
{
    [Fact]
    public async Task Reads_come_from_the_cache_and_status_goes_through_the_status_subresource()
    {
        await using var kube = await KubeCluster.StartAsync();
        await kube.ApplyWalkthroughAsync(hpa: false);
        await kube.SettleAsync();
        var store = new KubernetesCanaryStore(kube.Client, kube.Cache);
        kube.Cluster.Requests.Reset();

        var canary = await store.GetCanaryAsync("test", "podinfo", KubeCluster.Ct);
        var stored = await store.UpdateStatusAsync(canary!, new CanaryStatus { Phase = CanaryPhase.Initializing }, KubeCluster.Ct);

        Assert.Equal(CanaryPhase.Initializing, stored.Status?.Phase);
        Assert.Equal(0, kube.Cluster.Requests["get"]);
        Assert.Equal(1, kube.Cluster.Requests.Count("update", "canaries/status"));
        Assert.Same(stored, await store.GetCanaryAsync("test", "podinfo", KubeCluster.Ct));
        Assert.Equal(CanaryPhase.Initializing, (await kube.CanaryAsync()).Status?.Phase);
    }

    [Fact]
    public async Task A_finalizer_added_from_a_stale_read_keeps_the_one_another_controller_added_meanwhile_and_removing_it_keeps_theirs()
    {
        await using var kube = await KubeCluster.StartAsync();
        await kube.ApplyWalkthroughAsync(hpa: false);
        await kube.SettleAsync();
        var store = new KubernetesCanaryStore(kube.Client, kube.Cache);
        var stale = (await store.GetCanaryAsync("test", "podinfo", KubeCluster.Ct))!;

        // Another controller adds its own finalizer after our read.
        await kube.Client.CustomObjects.PatchNamespacedCustomObjectAsync(
            new V1Patch("""{"metadata":{"finalizers":["example.com/backup"]}}""", V1Patch.PatchType.MergePatch), "flagger.app", "v1beta1", "test", "canaries", "podinfo", cancellationToken: KubeCluster.Ct);
        var added = await store.AddFinalizerAsync(stale, "finalizer.flagger.app", KubeCluster.Ct);

        Assert.Equal(["example.com/backup", "finalizer.flagger.app"], added.Metadata.Finalizers);
        Assert.Equal(["example.com/backup", "finalizer.flagger.app"], (await kube.CanaryAsync()).Metadata.Finalizers);

        await store.RemoveFinalizerAsync(added, "finalizer.flagger.app", KubeCluster.Ct);
        Assert.Equal(["example.com/backup"], (await kube.CanaryAsync()).Metadata.Finalizers);
    }

    [Fact]
    public async Task An_unreadable_canary_gets_its_status_written_and_keeps_it_in_the_cache()
    {
        // An integer the schema takes but the model cannot hold: the canary is read with ReadError and an empty spec.
        await using var kube = await KubeCluster.StartAsync();
        await kube.ApplyWalkthroughAsync(hpa: false, canary: c =>
        {
            (c["spec"]!["analysis"] ?? c["spec"]!["canaryAnalysis"])!["maxWeight"] = long.MaxValue;
            return c;
        });
        await kube.SettleAsync();
        var store = new KubernetesCanaryStore(kube.Client, kube.Cache);
        var canary = await store.GetCanaryAsync("test", "podinfo", KubeCluster.Ct);
        Assert.NotNull(canary!.ReadError);

        var stored = await store.UpdateStatusAsync(canary, new CanaryStatus { Phase = CanaryPhase.Initializing }, KubeCluster.Ct);

        Assert.NotNull(stored.ReadError);
        Assert.Equal(CanaryPhase.Initializing, stored.Status?.Phase);
        var raw = (System.Text.Json.JsonElement)await kube.Client.CustomObjects.GetNamespacedCustomObjectAsync("flagger.app", "v1beta1", "test", "canaries", "podinfo", KubeCluster.Ct);
        Assert.Equal(CanaryPhase.Initializing.ToString(), raw.GetProperty("status").GetProperty("phase").GetString());
        Assert.Contains("9223372036854775807", raw.GetProperty("spec").GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_status_write_that_keeps_conflicting_is_given_up_after_the_configured_retries()
    {
        await using var kube = await KubeCluster.StartAsync();
        await kube.ApplyWalkthroughAsync(hpa: false);
        await kube.SettleAsync();
        var store = new KubernetesCanaryStore(kube.Client, kube.Cache, options: Microsoft.Extensions.Options.Options.Create(new KubernetesOptions { ConflictRetries = 2 }));
        var canary = await store.GetCanaryAsync("test", "podinfo", KubeCluster.Ct);
        var attempts = 0;
        kube.Cluster.Faults.FailRequests(1.0, 409, r => r.Subresource == "status" && r.Verb == "update" && Interlocked.Increment(ref attempts) > 0);

        var error = await Assert.ThrowsAsync<k8s.Autorest.HttpOperationException>(() => store.UpdateStatusAsync(canary!, new CanaryStatus { Phase = CanaryPhase.Progressing }, KubeCluster.Ct));

        Assert.True(RetryOnConflict.IsConflict(error));
        Assert.Equal(3, attempts);
    }

    [Fact]
    public async Task A_conflict_during_a_status_write_is_retried_and_nothing_is_lost()
    {
        await using var kube = await KubeCluster.StartAsync();
        await kube.ApplyWalkthroughAsync(hpa: false);
        await kube.SettleAsync();
        var store = new KubernetesCanaryStore(kube.Client, kube.Cache);
        var canary = await store.GetCanaryAsync("test", "podinfo", KubeCluster.Ct);

        // Another writer changes the Canary, and our first write is refused as stale.
        await kube.Client.CustomObjects.PatchNamespacedCustomObjectAsync(
            new V1Patch("""{"metadata":{"labels":{"team":"blue"}}}""", V1Patch.PatchType.MergePatch), "flagger.app", "v1beta1", "test", "canaries", "podinfo", cancellationToken: KubeCluster.Ct);
        var refused = 0;
        kube.Cluster.Faults.FailRequests(1.0, 409, r => r.Subresource == "status" && r.Verb == "update" && Interlocked.Increment(ref refused) == 1);

        var stored = await store.UpdateStatusAsync(canary!, new CanaryStatus { Phase = CanaryPhase.Progressing, CanaryWeight = 10 }, KubeCluster.Ct);

        var server = await kube.CanaryAsync();
        Assert.Equal((CanaryPhase.Progressing, 10), (server.Status?.Phase, server.Status?.CanaryWeight));
        Assert.Equal("blue", server.Metadata.Labels?["team"]);
        Assert.Equal(server.Metadata.ResourceVersion, stored.Metadata.ResourceVersion);
        Assert.True(refused >= 2);
    }

    [Fact]
    public async Task A_dropped_watch_is_resumed_without_missing_an_update()
    {
        await using var kube = await KubeCluster.StartAsync();
        await kube.ApplyWalkthroughAsync(hpa: false);
        await kube.SettleAsync();
        kube.Cluster.Requests.Reset();

        kube.Cluster.Faults.DropWatches();
        await kube.PatchDeploymentAsync("podinfo", """{"spec":{"template":{"spec":{"containers":[{"name":"podinfod","image":"stefanprodan/podinfo:1.4.1"}]}}}}""");
        await kube.SettleAsync();

        Assert.Equal("stefanprodan/podinfo:1.4.1", kube.Cache.Deployments.Get("test", "podinfo")!.Spec.Template.Spec.Containers[0].Image);
        Assert.Equal(0, kube.Cluster.Requests.Count("list", "deployments") - CountTestLists(kube));
        Assert.True(kube.Cluster.Requests.Count("watch", "deployments") >= 1);
    }

    [Fact]
    public async Task A_watch_resumed_from_a_compacted_version_relists()
    {
        await using var kube = await KubeCluster.StartAsync();
        await kube.ApplyWalkthroughAsync(hpa: false);
        await kube.SettleAsync();
        await kube.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "doomed" }, Data = new Dictionary<string, string> { ["a"] = "b" } }, "test", cancellationToken: KubeCluster.Ct);
        await kube.SettleAsync();

        kube.Cluster.CompactWatchHistory();
        kube.Cluster.Faults.DropWatches();
        await kube.Client.CoreV1.DeleteNamespacedConfigMapAsync("doomed", "test", cancellationToken: KubeCluster.Ct);
        await kube.PatchDeploymentAsync("podinfo", """{"spec":{"replicas":2}}""");
        await kube.SettleAsync();

        Assert.Equal(2, kube.Cache.Deployments.Get("test", "podinfo")!.Spec.Replicas);
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (kube.Cache.ConfigMaps.Get("test", "doomed") is not null && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10, KubeCluster.Ct);
        }

        Assert.Null(kube.Cache.ConfigMaps.Get("test", "doomed"));
    }

    // SettleAsync lists deployments once per poll; the informer's own lists are what is left.
    private static long CountTestLists(KubeCluster kube) => kube.Cluster.Requests.Count("list", "configmaps");
}
