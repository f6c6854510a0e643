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
    public async Task Apply_loads_the_walkthrough_manifests_without_kubectl()
    {
        await using var cluster = await TestCluster.StartAsync();
        var artifacts = Path.Combine(Kubectl.RepoRoot, "deploy", "artifacts");
        var first = new[] { "namespaces", "canaries", "loadtester" }.SelectMany(d => cluster.ApplyPath(Path.Combine(artifacts, d), "test")).ToList();
        Assert.Contains("namespace/test created", first);
        Assert.Contains("canary.flagger.app/podinfo created", first);
        Assert.Contains("horizontalpodautoscaler.autoscaling/podinfo created", first);
        Assert.Contains("service/flagger-loadtester created", first);

        var again = cluster.ApplyPath(Path.Combine(artifacts, "canaries"));
        Assert.All(again, line => Assert.EndsWith(" unchanged", line, StringComparison.Ordinal));

        using var client = cluster.CreateClient();
        var deployment = await client.AppsV1.ReadNamespacedDeploymentAsync("podinfo", "test", cancellationToken: TestCluster.Ct);
        Assert.Equal(9898, deployment.Spec.Template.Spec.Containers[0].Ports[0].ContainerPort);
        Assert.Equal("true", deployment.Spec.Template.Metadata.Annotations["prometheus.io/scrape"]);

        var error = Assert.Throws<InvalidOperationException>(() => cluster.Apply("apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n"));
        Assert.Contains("is its CRD installed?", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Apply_installs_the_CRDs_from_deploy_crds_and_serves_their_resources()
    {
        await using var cluster = await EmbeddedCluster.StartAsync(new EmbeddedClusterOptions { InstallFlaggerCrds = false }, TestCluster.Ct);

        var applied = cluster.ApplyPath(Path.Combine(Kubectl.RepoRoot, "deploy", "crds"));

        Assert.Contains("customresourcedefinition.apiextensions.k8s.io/canaries.flagger.app created", applied);
        cluster.ApplyPath(Path.Combine(Kubectl.RepoRoot, "deploy", "artifacts", "namespaces", "test.yaml"));
        var canary = cluster.ApplyPath(Path.Combine(Kubectl.RepoRoot, "deploy", "artifacts", "canaries", "canary.yaml"), "test");
        Assert.Equal(["canary.flagger.app/podinfo created"], canary);
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
