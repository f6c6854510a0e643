using System.Text.Json;
using System.Text.Json.Nodes;
using Flagger.Kubernetes.Events;
using Flagger.Model;
using Flagger.Store;
using k8s;
using k8s.Models;

namespace Flagger.Kubernetes.Store;

public sealed class KubernetesReferenceStoreTests
{
    private const string Template = """
        {"apiVersion":"flagger.app/v1beta1","kind":"MetricTemplate","metadata":{"name":"errors","namespace":"test"},
         "spec":{"provider":{"type":"prometheus","address":"http://prom:9090"},"query":"up"}}
        """;

    private const string Provider = """
        {"apiVersion":"flagger.app/v1beta1","kind":"AlertProvider","metadata":{"name":"on-call","namespace":"test"},
         "spec":{"type":"slack","address":"https://hooks.example/x"}}
        """;

    private static readonly ResourceReport Invalid = new(
        new ResourceStatus { ObservedGeneration = 1, Conditions = [new CanaryCondition { Type = "Valid", Status = "False", Reason = "InvalidSpec", Message = "invalid MetricTemplate spec: spec.query: required" }] },
        "invalid MetricTemplate spec: spec.query: required");

    [Fact]
    public async Task Lists_templates_and_providers_then_follows_adds_and_changes()
    {
        await using var kube = await KubeCluster.StartAsync();
        await kube.ApplyAsync(JsonNode.Parse(Template)!.AsObject());
        await kube.ApplyAsync(JsonNode.Parse(Provider)!.AsObject());
        var store = new KubernetesReferenceStore(kube.Client, kube.Cache, new KubernetesEventRecorder(kube.Client, kube.Clock));
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(KubeCluster.Ct);
        stop.CancelAfter(TimeSpan.FromSeconds(20));
        await using var seen = store.WatchAsync(stop.Token).GetAsyncEnumerator(stop.Token);

        Assert.True(await seen.MoveNextAsync());
        Assert.Equal(("MetricTemplate", "errors"), (seen.Current.Kind, seen.Current.Name));
        Assert.True(await seen.MoveNextAsync());
        Assert.Equal(("AlertProvider", "on-call"), (seen.Current.Kind, seen.Current.Name));

        await kube.Client.CustomObjects.PatchNamespacedCustomObjectAsync(
            new V1Patch("""{"spec":{"query":"down"}}""", V1Patch.PatchType.MergePatch), "flagger.app", "v1beta1", "test", "metrictemplates", "errors", cancellationToken: KubeCluster.Ct);
        Assert.True(await seen.MoveNextAsync());
        Assert.Equal("down", seen.Current.MetricTemplate!.Spec.Query);
    }

    [Fact]
    public async Task Report_writes_the_condition_through_the_status_subresource_and_a_warning_event_on_the_object()
    {
        await using var kube = await KubeCluster.StartAsync();
        await kube.ApplyAsync(JsonNode.Parse(Template)!.AsObject());
        await kube.Cache.SyncAsync(KubeCluster.Ct);
        var store = new KubernetesReferenceStore(kube.Client, kube.Cache, new KubernetesEventRecorder(kube.Client, kube.Clock));
        var template = ReferencedResource.From(await WaitForTemplateAsync(kube));

        await store.ReportAsync(template, Invalid, KubeCluster.Ct);

        var stored = await ReadTemplateAsync(kube);
        var condition = Assert.Single(stored.Status!.Conditions!);
        Assert.Equal(("Valid", "False", Invalid.Warning), (condition.Type, condition.Status, condition.Message));
        Assert.Equal("up", stored.Spec.Query);
        Assert.Equal(1, kube.Cluster.Requests.Count("patch", "metrictemplates/status"));
        var events = await kube.Client.CoreV1.ListNamespacedEventAsync("test", fieldSelector: "involvedObject.name=errors", cancellationToken: KubeCluster.Ct);
        var warning = Assert.Single(events.Items);
        Assert.Equal(("Warning", "MetricTemplate", Invalid.Warning), (warning.Type, warning.InvolvedObject.Kind, warning.Message));

        // Fixed: the condition goes, with no event.
        await store.ReportAsync(template, new ResourceReport(new ResourceStatus { Conditions = [] }, null), KubeCluster.Ct);
        Assert.Empty((await ReadTemplateAsync(kube)).Status!.Conditions!);
        Assert.Single((await kube.Client.CoreV1.ListNamespacedEventAsync("test", fieldSelector: "involvedObject.name=errors", cancellationToken: KubeCluster.Ct)).Items);
    }

    [Fact]
    public async Task Report_on_an_object_deleted_meanwhile_is_dropped()
    {
        await using var kube = await KubeCluster.StartAsync();
        var store = new KubernetesReferenceStore(kube.Client, kube.Cache, new KubernetesEventRecorder(kube.Client, kube.Clock));
        var gone = ReferencedResource.From(FlaggerJson.DeserializeAlertProvider(Provider));

        await store.ReportAsync(gone, Invalid, KubeCluster.Ct);

        Assert.Empty((await kube.Client.CoreV1.ListNamespacedEventAsync("test", cancellationToken: KubeCluster.Ct)).Items);
    }

    [Fact]
    public async Task A_template_the_model_cannot_read_is_kept_with_its_read_error()
    {
        // A looser (older, or hand-edited) CRD lets a wrong type through; the cache must keep the object, not drop it.
        await using var kube = await KubeCluster.StartAsync();
        var crd = await kube.Client.ApiextensionsV1.ReadCustomResourceDefinitionAsync("metrictemplates.flagger.app", cancellationToken: KubeCluster.Ct);
        crd.Spec.Versions[0].Schema.OpenAPIV3Schema = new V1JSONSchemaProps { Type = "object", XKubernetesPreserveUnknownFields = true };
        await kube.Client.ApiextensionsV1.ReplaceCustomResourceDefinitionAsync(crd, crd.Metadata.Name, cancellationToken: KubeCluster.Ct);
        await kube.ApplyAsync(JsonNode.Parse(Template.Replace("\"query\":\"up\"", "\"query\":{\"promql\":\"up\"}", StringComparison.Ordinal))!.AsObject());

        var template = await WaitForTemplateAsync(kube);

        Assert.StartsWith("spec.query: cannot be read as this field's type", template.ReadError, StringComparison.Ordinal);
    }

    private static async Task<MetricTemplate> WaitForTemplateAsync(KubeCluster kube)
    {
        await kube.Cache.SyncAsync(KubeCluster.Ct);
        for (var i = 0; i < 200; i++)
        {
            if (kube.Cache.MetricTemplates.Get("test", "errors") is { } template)
            {
                return template;
            }

            await Task.Delay(25, KubeCluster.Ct);
        }

        throw new TimeoutException("the template never reached the cache");
    }

    private static async Task<MetricTemplate> ReadTemplateAsync(KubeCluster kube) =>
        FlaggerJson.DeserializeMetricTemplate(((JsonElement)await kube.Client.CustomObjects.GetNamespacedCustomObjectAsync("flagger.app", "v1beta1", "test", "metrictemplates", "errors", KubeCluster.Ct)).GetRawText());
}
