using k8s;
using k8s.Models;

namespace Flagger.Kubernetes.Caches;

public sealed class ClusterCacheTests
{
    [Fact]
    public async Task A_namespace_scoped_cache_sees_only_its_namespace()
    {
        await using var kube = await KubeCluster.StartAsync(o => o.Namespace = "test");
        await kube.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "mine" } }, "test", cancellationToken: KubeCluster.Ct);
        await kube.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "theirs" } }, "default", cancellationToken: KubeCluster.Ct);
        await kube.SettleAsync();

        Assert.NotNull(kube.Cache.ConfigMaps.Get("test", "mine"));
        Assert.Null(kube.Cache.ConfigMaps.Get("default", "theirs"));
        Assert.All(kube.Cache.ConfigMaps.List(), c => Assert.Equal("test", c.NamespaceProperty));
    }

    [Fact]
    public async Task Secrets_are_cached_as_metadata_without_kubectls_copy_of_their_data_and_follow_changes()
    {
        await using var kube = await KubeCluster.StartAsync();
        await kube.ApplyAsync("""
            apiVersion: v1
            kind: Secret
            metadata:
              name: app-token
              namespace: test
              labels:
                team: a
              annotations:
                kubectl.kubernetes.io/last-applied-configuration: '{"data":{"token":"Zmlyc3Q="}}'
            data:
              token: Zmlyc3Q=
            """);
        await kube.SettleAsync();

        var cached = kube.Cache.Secrets.Get("test", "app-token");
        Assert.NotNull(cached);
        Assert.Equal("a", cached.Labels["team"]);
        Assert.Null(cached.Annotations); // kubectl's last-applied annotation held the data again
        Assert.Null(cached.ManagedFields);

        await kube.Client.CoreV1.PatchNamespacedSecretAsync(new V1Patch("""{"data":{"token":"c2Vjb25k"}}""", V1Patch.PatchType.MergePatch), "app-token", "test", cancellationToken: KubeCluster.Ct);
        for (var waited = 0; kube.Cache.Secrets.Get("test", "app-token")?.ResourceVersion == cached.ResourceVersion; waited += 50)
        {
            Assert.True(waited < 10_000, "the changed Secret never reached the cache");
            await Task.Delay(50, KubeCluster.Ct);
        }
    }

    [Fact]
    public async Task A_missing_CRD_fails_the_sync_with_a_clear_error_instead_of_hanging()
    {
        await using var cluster = await Flagger.Testing.EmbeddedCluster.StartAsync(new Flagger.Testing.EmbeddedClusterOptions { InstallFlaggerCrds = false }, KubeCluster.Ct);
        using var client = cluster.CreateClient();
        await using var cache = new ClusterCache(client, null, TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => cache.SyncAsync(KubeCluster.Ct).WaitAsync(TimeSpan.FromSeconds(10), KubeCluster.Ct));

        Assert.Contains("flagger.app (is its CRD installed?)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_watch_event_the_client_cannot_read_ends_the_watch_and_the_cache_lists_again()
    {
        await using var cluster = await Flagger.Testing.EmbeddedCluster.StartAsync(KubeCluster.Ct);
        using var client = cluster.CreateClient();
        await using var cache = new ClusterCache(client, null, TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        await cache.SyncAsync(KubeCluster.Ct);

        // Every ConfigMap watch opened from now on sends events the client cannot read; the list still works.
        cluster.Faults.GarbleWatchEvents(r => r.Resource == "configmaps");
        cluster.Faults.DropWatches();
        await Task.Delay(TimeSpan.FromMilliseconds(300), KubeCluster.Ct); // the informer reopens its watch
        await client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "behind-a-garbled-event" } }, "default", cancellationToken: KubeCluster.Ct);

        // The client reports the unreadable event and would read on, waiting for the next one: the cache must not.
        for (var waited = 0; cache.ConfigMaps.Get("default", "behind-a-garbled-event") is null; waited += 50)
        {
            Assert.True(waited < 10_000, "the cache kept a watch that had reported an unreadable event and never listed again");
            await Task.Delay(50, KubeCluster.Ct);
        }
    }

    [Fact]
    public async Task A_hung_watch_is_given_up_after_its_deadline_and_resumed_without_missing_a_change()
    {
        await using var cluster = await Flagger.Testing.EmbeddedCluster.StartAsync(KubeCluster.Ct);
        using var client = cluster.CreateClient();
        var wallClock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);

        // The ConfigMap watch is accepted and never answered, as behind a proxy that hangs; the list works.
        var hang = 1;
        cluster.Faults.TimeOutRequests(1.0, r => r.Verb == "watch" && r.Resource == "configmaps" && Volatile.Read(ref hang) == 1);
        await using var cache = new ClusterCache(client, null, wallClock, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        await cache.SyncAsync(KubeCluster.Ct);
        await client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "late" } }, "default", cancellationToken: KubeCluster.Ct);
        await Task.Delay(TimeSpan.FromMilliseconds(500), KubeCluster.Ct);
        Assert.Null(cache.ConfigMaps.Get("default", "late"));

        Volatile.Write(ref hang, 0);
        wallClock.Advance(Informer<V1ConfigMap>.WatchDeadline);

        for (var waited = 0; cache.ConfigMaps.Get("default", "late") is null; waited += 50)
        {
            Assert.True(waited < 10_000, "the hung watch was never resumed");
            await Task.Delay(50, KubeCluster.Ct);
        }
    }
}
