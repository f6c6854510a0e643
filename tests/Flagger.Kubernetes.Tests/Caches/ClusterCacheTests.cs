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
}
