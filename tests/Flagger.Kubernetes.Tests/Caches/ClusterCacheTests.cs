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
        Assert.All(kube.Cache.ConfigMaps.List(), c => Assert.Equal("test", c.Metadata.NamespaceProperty));
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
}
