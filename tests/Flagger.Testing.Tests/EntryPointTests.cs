using k8s;

namespace Flagger.Testing.Tests;

/// <summary>The one-line start for provider authors and the <c>serve --cluster-only</c> entry point.</summary>
public sealed class EntryPointTests
{
    [Fact]
    public async Task A_written_kubeconfig_works_with_KubernetesClient()
    {
        await using var cluster = await EmbeddedCluster.StartAsync(TestCluster.Ct);
        var path = Path.Combine(Directory.CreateTempSubdirectory().FullName, "kubeconfig");
        cluster.WriteKubeconfig(path, "istio-system");

        var config = KubernetesClientConfiguration.BuildConfigFromConfigFile(path);
        Assert.Equal("istio-system", config.Namespace);
        using var client = new Kubernetes(config);
        var namespaces = await client.CoreV1.ListNamespaceAsync(cancellationToken: TestCluster.Ct);
        Assert.Contains(namespaces.Items, n => n.Metadata.Name == "istio-system");
        var crds = await client.ApiextensionsV1.ListCustomResourceDefinitionAsync(cancellationToken: TestCluster.Ct);
        Assert.Contains(crds.Items, c => c.Metadata.Name == "canaries.flagger.app");
        Assert.Contains(crds.Items, c => c.Metadata.Name == "virtualservices.networking.istio.io");
    }

    [Fact]
    public async Task Serve_writes_a_kubeconfig_prints_the_address_and_stops_on_cancel()
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory().FullName, "kubeconfig");
        using var output = new StringWriter();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestCluster.Ct);
        var serving = EmbeddedCluster.ServeAsync(path, output, cancellationToken: stop.Token);
        for (var i = 0; i < 200 && !File.Exists(path); i++)
        {
            await Task.Delay(10, TestCluster.Ct);
        }

        Assert.True(File.Exists(path));
        using (var client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(path)))
        {
            await client.CoreV1.ListNamespaceAsync(cancellationToken: TestCluster.Ct);
        }

        await stop.CancelAsync();
        Assert.Equal(0, await serving.WaitAsync(TimeSpan.FromSeconds(10), TestCluster.Ct));
        Assert.Contains("listening on http://127.0.0.1:", output.ToString(), StringComparison.Ordinal);
    }
}
