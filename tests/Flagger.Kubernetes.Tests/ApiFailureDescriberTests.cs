using k8s;
using k8s.Models;

namespace Flagger.Kubernetes;

/// <summary>The API server's own reason reaches the Warning event, not only the status code.</summary>
public sealed class ApiFailureDescriberTests
{
    [Fact]
    public async Task A_refused_write_is_described_with_the_servers_message()
    {
        await using var kube = await KubeCluster.StartAsync();
        var service = new V1Service
        {
            Metadata = new V1ObjectMeta { Name = "podinfo", NamespaceProperty = "test" },
            Spec = new V1ServiceSpec { Ports = [new V1ServicePort { Port = 9898 }] },
        };
        await kube.Client.CoreV1.CreateNamespacedServiceAsync(service, "test", cancellationToken: KubeCluster.Ct);

        var refused = await Assert.ThrowsAnyAsync<Exception>(() => kube.Client.CoreV1.CreateNamespacedServiceAsync(service, "test", cancellationToken: KubeCluster.Ct));
        var detail = new ApiFailureDescriber().Describe(refused);

        Assert.NotNull(detail);
        Assert.StartsWith(refused.Message, detail, StringComparison.Ordinal);
        Assert.Contains("\"podinfo\" already exists", detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Other_exceptions_are_left_to_the_next_describer() =>
        Assert.Null(new ApiFailureDescriber().Describe(new InvalidOperationException("boom")));
}
