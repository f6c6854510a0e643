using Flagger.Testing.Simulation;
using k8s;
using Microsoft.Extensions.Time.Testing;

namespace Flagger.Testing.Tests.Simulation;

/// <summary>With an image catalogue, pods of images the simulated registry lacks fail to pull as a kubelet's do.</summary>
public sealed class ImageCatalogueTests
{
    private const string Potato = """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: podinfo, namespace: default}
        spec:
          progressDeadlineSeconds: 60
          selector: {matchLabels: {app: podinfo}}
          template:
            metadata: {labels: {app: podinfo}}
            spec:
              containers: [{name: podinfod, image: stefanprodan/potato:1.0.0}]
        """;

    [Fact]
    public async Task A_missing_image_goes_ErrImagePull_then_ImagePullBackOff_and_its_Deployment_exceeds_the_progress_deadline()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 16, 14, 0, 0, TimeSpan.Zero));
        await using var cluster = await StartAsync(time);
        using var client = cluster.CreateClient();
        using var kubectl = new Kubectl(cluster);
        cluster.Apply(Potato);
        await cluster.WaitForControllersAsync(TestCluster.Ct);

        var pod = Assert.Single((await client.CoreV1.ListNamespacedPodAsync("default", cancellationToken: TestCluster.Ct)).Items);
        Assert.Equal(("Pending", "ErrImagePull"), (pod.Status.Phase, pod.Status.ContainerStatuses[0].State.Waiting.Reason));

        time.Advance(TimeSpan.FromSeconds(61));
        await cluster.WaitForControllersAsync(TestCluster.Ct);

        var deployment = await client.AppsV1.ReadNamespacedDeploymentAsync("podinfo", "default", cancellationToken: TestCluster.Ct);
        var progressing = deployment.Status.Conditions.Single(c => c.Type == "Progressing");
        Assert.Equal(("False", "ProgressDeadlineExceeded"), (progressing.Status, progressing.Reason));
        Assert.Null(deployment.Status.ReadyReplicas is > 0 ? deployment.Status.ReadyReplicas : null);
        var describe = await kubectl.TryRunAsync("describe", "pods", "-l", "app=podinfo");
        Assert.Equal(0, describe.Exit);
        Assert.Contains("ImagePullBackOff", describe.Out, StringComparison.Ordinal);
        Assert.Contains("Back-off pulling image \"stefanprodan/potato:1.0.0\"", describe.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Catalogue_images_and_images_listed_in_the_ConfigMap_run()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 16, 14, 0, 0, TimeSpan.Zero));
        await using var cluster = await StartAsync(time);
        using var client = cluster.CreateClient();
        cluster.Apply("""
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: flagger-testing-images, namespace: kube-system}
            data: {mine: "stefanprodan/potato:1.0.0\n"}
            """);
        cluster.Apply(Potato);
        cluster.Apply(Potato.Replace("name: podinfo,", "name: tester,", StringComparison.Ordinal).Replace("app: podinfo", "app: tester", StringComparison.Ordinal)
            .Replace("stefanprodan/potato:1.0.0", "ghcr.io/stefanprodan/podinfo:6.0.3", StringComparison.Ordinal));
        time.Advance(TimeSpan.FromSeconds(2));
        await cluster.WaitForControllersAsync(TestCluster.Ct);

        var pods = (await client.CoreV1.ListNamespacedPodAsync("default", cancellationToken: TestCluster.Ct)).Items;
        Assert.Equal(2, pods.Count);
        Assert.All(pods, p => Assert.Equal("Running", p.Status.Phase));
        Assert.True(ImageCatalogue.Default().Contains("docker.io/stefanprodan/podinfo:6.0.0"));
        Assert.False(ImageCatalogue.Default().Contains("stefanprodan/potato:1.0.0"));
        Assert.True(new ImageCatalogue().Add("nginx").Contains("docker.io/library/nginx:latest"));
    }

    private static Task<EmbeddedCluster> StartAsync(FakeTimeProvider time) =>
        EmbeddedCluster.StartAsync(new EmbeddedClusterOptions { TimeProvider = time, Images = ImageCatalogue.Default() }, TestCluster.Ct);
}
