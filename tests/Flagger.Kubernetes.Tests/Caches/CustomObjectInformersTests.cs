using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;

namespace Flagger.Kubernetes.Caches;

public sealed class CustomObjectInformersTests
{
    [Fact]
    public async Task An_informer_is_shared_answers_once_listed_and_distrusts_a_forgotten_object_until_it_is_read_again()
    {
        await using var cluster = await Flagger.Testing.EmbeddedCluster.StartAsync(KubeCluster.Ct);
        using var client = cluster.CreateClient();
        await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "apps" } }, cancellationToken: KubeCluster.Ct);
        var body = JsonNode.Parse("""{"apiVersion":"networking.istio.io/v1beta1","kind":"VirtualService","metadata":{"name":"web","namespace":"apps"},"spec":{"hosts":["web"]}}""")!;
        await client.CustomObjects.CreateNamespacedCustomObjectAsync(body, "networking.istio.io", "v1beta1", "apps", "virtualservices", cancellationToken: KubeCluster.Ct);
        await using var informers = new CustomObjectInformers(TimeProvider.System);

        var informer = informers.Get(client, "networking.istio.io", "v1beta1", "virtualservices", null);

        Assert.Same(informer, informers.Get(client, "networking.istio.io", "v1beta1", "virtualservices", string.Empty));
        Assert.Equal("virtualservices.networking.istio.io", informer.Resource);
        JsonElement? found;
        for (var waited = 0; !informer.TryGet("apps", "web", out found); waited += 50)
        {
            Assert.True(waited < 10_000, "the informer never listed");
            await Task.Delay(50, KubeCluster.Ct);
        }

        Assert.Equal("web", found!.Value.GetProperty("metadata").GetProperty("name").GetString());
        Assert.True(informer.TryGet("apps", "missing", out var missing));
        Assert.Null(missing);

        informer.Forget("apps", "web");
        Assert.False(informer.TryGet("apps", "web", out _));

        informer.Remember((JsonElement)await client.CustomObjects.GetNamespacedCustomObjectAsync("networking.istio.io", "v1beta1", "apps", "virtualservices", "web", KubeCluster.Ct));
        Assert.True(informer.TryGet("apps", "web", out var again));
        Assert.NotNull(again);
    }
}
