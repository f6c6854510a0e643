using Flagger.Analysis;
using Flagger.Fakes;
using Flagger.Metrics;
using Flagger.Model;
using Flagger.Providers;
using Flagger.Routing;
using Flagger.Webhooks;
using k8s;
using k8s.Models;
using Microsoft.Extensions.DependencyInjection;

namespace Flagger.Kubernetes;

/// <summary>
/// An existing <c>-primary</c> ConfigMap, Secret or Deployment that another controller owns is never overwritten nor
/// made owned by the Canary (garbage collection would delete it with the Canary): the canary reports it with an
/// <c>Ownership=False</c> condition and a Warning event naming the object and its owner. One with no owner is adopted.
/// </summary>
public sealed class OwnershipTests : IAsyncLifetime
{
    private KubeCluster kube = null!;
    private ServiceProvider services = null!;
    private CanaryEngine engine = null!;
    private string ownerUid = string.Empty;

    public async ValueTask InitializeAsync()
    {
        kube = await KubeCluster.StartAsync();
        await kube.ApplyAsync(await KubeCluster.ArtifactAsync("canaries/deployment.yaml"));
        await kube.ApplyAsync("""
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: podinfo-config
              namespace: test
            data:
              color: blue
            """);
        await kube.PatchDeploymentAsync("podinfo", """{"spec":{"template":{"spec":{"containers":[{"name":"podinfod","envFrom":[{"configMapRef":{"name":"podinfo-config"}}]}]}}}}""");

        // Another team's workload, which owns objects that happen to have the names the canary would generate.
        await kube.ApplyAsync("""
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: legacy
              namespace: test
            spec:
              replicas: 1
              selector:
                matchLabels: { app: legacy }
              template:
                metadata:
                  labels: { app: legacy }
                spec:
                  containers:
                  - name: legacy
                    image: legacy:1
            """);
        ownerUid = (await kube.DeploymentAsync("legacy")).Metadata.Uid;

        var collection = new ServiceCollection();
        collection.AddSingleton<TimeProvider>(kube.Clock);
        collection.AddSingleton(kube.Client);
        collection.AddSingleton<IWebhookClient>(new ScriptedWebhooks());
        collection.AddFlaggerEngine(o => o.MetricsServer = "http://prometheus.istio-system:9090")
            .AddKubernetes()
            .AddIstioDefaults()
            .AddProvider<IMeshRouter>("istio", new SimulatedMesh())
            .AddProvider<IMetricsProviderFactory>("prometheus", new ScriptedMetrics());
        services = collection.BuildServiceProvider();
        engine = services.GetRequiredService<CanaryEngine>();
    }

    public async ValueTask DisposeAsync()
    {
        await services.DisposeAsync();
        await kube.DisposeAsync();
    }

    [Fact]
    public async Task A_primary_configmap_another_controller_owns_is_refused_and_reported_until_released_then_adopted()
    {
        await kube.ApplyAsync(Owned("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"podinfo-config-primary","namespace":"test"},"data":{"color":"red"}}"""));
        await ApplyCanaryAsync();

        var report = await TickAsync();

        var expected = $"ConfigMap podinfo-config-primary.test is controlled by Deployment legacy (uid {ownerUid}), not by canary podinfo.test: "
            + "refusing to adopt it; rename it, or remove its controller ownerReference to let the canary take it over";
        Assert.Contains(report.Events, e => e.KubernetesType == "Warning" && e.Message == expected);
        var condition = Assert.Single((await kube.CanaryAsync()).Status!.Conditions!, c => c.Type == "Ownership");
        Assert.Equal(("False", "OwnedByAnotherController", expected), (condition.Status, condition.Reason, condition.Message));
        var untouched = await kube.Client.CoreV1.ReadNamespacedConfigMapAsync("podinfo-config-primary", "test", cancellationToken: KubeCluster.Ct);
        Assert.Equal("red", untouched.Data["color"]);
        Assert.Equal(["legacy"], untouched.Metadata.OwnerReferences.Select(o => o.Name));
        var recorded = await kube.Client.CoreV1.ListNamespacedEventAsync("test", fieldSelector: "involvedObject.kind=Canary,involvedObject.name=podinfo", cancellationToken: KubeCluster.Ct);
        Assert.Contains(recorded.Items, e => e.Type == "Warning" && e.Message == expected);

        // The other team lets go of it: it has no owner now, and the canary adopts it as it always did.
        await kube.Client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch("""{"metadata":{"ownerReferences":null}}""", V1Patch.PatchType.MergePatch), "podinfo-config-primary", "test", cancellationToken: KubeCluster.Ct);
        await TickUntilAsync(CanaryPhase.Initialized);

        Assert.DoesNotContain((await kube.CanaryAsync()).Status!.Conditions!, c => c.Type == "Ownership");
        var adopted = await kube.Client.CoreV1.ReadNamespacedConfigMapAsync("podinfo-config-primary", "test", cancellationToken: KubeCluster.Ct);
        Assert.Equal("blue", adopted.Data["color"]);
        Assert.Equal(("Canary", "podinfo", true), (adopted.Metadata.OwnerReferences[0].Kind, adopted.Metadata.OwnerReferences[0].Name, adopted.Metadata.OwnerReferences[0].Controller));
    }

    [Fact]
    public async Task A_primary_deployment_another_controller_owns_is_refused_and_left_as_it_is()
    {
        await kube.ApplyAsync(Owned("""
            {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"podinfo-primary","namespace":"test"},
             "spec":{"replicas":3,"selector":{"matchLabels":{"app":"other"}},"template":{"metadata":{"labels":{"app":"other"}},"spec":{"containers":[{"name":"other","image":"other:1"}]}}}}
            """));
        await ApplyCanaryAsync();

        for (var i = 0; i < 3; i++)
        {
            var report = await TickAsync();
            Assert.Contains(report.Events, e => e.KubernetesType == "Warning" && e.Message.StartsWith($"Deployment podinfo-primary.test is controlled by Deployment legacy (uid {ownerUid})", StringComparison.Ordinal));
        }

        var canary = await kube.CanaryAsync();
        Assert.Contains(canary.Status!.Conditions!, c => c.Type == "Ownership" && c.Status == "False" && c.Message!.Contains("Deployment podinfo-primary.test", StringComparison.Ordinal));
        Assert.NotEqual(CanaryPhase.Initialized, canary.Status.Phase);
        var primary = await kube.DeploymentAsync("podinfo-primary");
        Assert.Equal(("other:1", 3), (primary.Spec.Template.Spec.Containers[0].Image, primary.Spec.Replicas));
        Assert.Equal(["legacy"], primary.Metadata.OwnerReferences.Select(o => o.Name));

        // The target is not parked either: nothing of the canary ran past the refusal.
        Assert.NotEqual(0, (await kube.DeploymentAsync("podinfo")).Spec.Replicas);
    }

    private string Owned(string json)
    {
        var body = System.Text.Json.Nodes.JsonNode.Parse(json)!.AsObject();
        body["metadata"]!["ownerReferences"] = new System.Text.Json.Nodes.JsonArray(new System.Text.Json.Nodes.JsonObject
        {
            ["apiVersion"] = "apps/v1",
            ["kind"] = "Deployment",
            ["name"] = "legacy",
            ["uid"] = ownerUid,
            ["controller"] = true,
        });
        return body.ToJsonString();
    }

    private async Task ApplyCanaryAsync()
    {
        var body = KubeCluster.YamlToJson(await KubeCluster.ArtifactAsync("canaries/canary.yaml"));
        body["spec"]!.AsObject().Remove("autoscalerRef");
        await kube.ApplyAsync(body);
        await kube.SettleAsync();
    }

    private async Task<TickReport> TickAsync()
    {
        await kube.AdvanceAsync(TimeSpan.FromMinutes(1));
        return await engine.TickAsync("test", "podinfo", KubeCluster.Ct);
    }

    private async Task TickUntilAsync(CanaryPhase phase)
    {
        for (var i = 0; i < 30; i++)
        {
            if ((await TickAsync()).Canary?.Status?.Phase == phase)
            {
                return;
            }
        }

        Assert.Fail($"not {phase} after 30 ticks");
    }
}
