using System.Net;
using System.Text.Json;
using Flagger.Model;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Flagger.Kubernetes.Services;

/// <summary>
/// The embedded API server refuses the names and labels a real one refuses (a 422 with a Status body), so a test sees
/// what a cluster would answer when a target's name makes <c>-primary</c>/<c>-canary</c> Services longer than 63
/// characters: the reason the Canary validation bounds <c>targetRef.name</c> and <c>service.name</c>.
/// </summary>
public sealed class ApiServerNameRulesTests
{
    private static readonly string Long = "podinfo-" + new string('x', 52); // 60 characters

    [Fact]
    public async Task A_service_router_for_a_60_character_target_is_answered_422_naming_the_63_character_rule()
    {
        await using var kube = await KubeCluster.StartAsync();
        await kube.Client.AppsV1.CreateNamespacedDeploymentAsync(Deployment(Long), "test", cancellationToken: KubeCluster.Ct);
        await kube.SettleAsync();
        var router = new KubernetesServiceRouter(kube.Client, kube.Cache, kube.Options);

        // The Canary as validation would never let it through (targetRef.name is bounded at 55 characters).
        var canary = new Canary
        {
            Metadata = new ObjectMetadata { Name = "podinfo", Namespace = "test", Uid = "3f0d1c4e-0000-4000-8000-000000000001" },
            Spec = new CanarySpec { TargetRef = new ObjectReference { ApiVersion = "apps/v1", Kind = "Deployment", Name = Long }, Service = new CanaryService { Port = 9898 } },
        };
        var refused = await Assert.ThrowsAsync<HttpOperationException>(() => router.InitializeAsync(canary, KubeCluster.Ct));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.Response.StatusCode);
        var status = KubernetesJson.Deserialize<V1Status>(refused.Response.Content);
        Assert.Equal(("Status", "Failure", "Invalid", 422), (status.Kind, status.Status, status.Reason, status.Code));
        var name = Long + "-canary";
        Assert.Equal(
            $"Service \"{name}\" is invalid: metadata.name: Invalid value: \"{name}\": must be no more than 63 characters, "
            + $"metadata.labels: Invalid value: \"{name}\": must be no more than 63 characters",
            status.Message);
        Assert.Equal(("metadata.name", "FieldValueInvalid"), (status.Details.Causes[0].Field, status.Details.Causes[0].Reason));
        Assert.Empty((await kube.Client.CoreV1.ListNamespacedServiceAsync("test", cancellationToken: KubeCluster.Ct)).Items);
    }

    [Theory]
    [InlineData("1podinfo", "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character")]
    [InlineData("podinfo.test", "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character")]
    public async Task A_service_name_that_is_not_a_DNS_1035_label_is_refused(string name, string rule)
    {
        await using var kube = await KubeCluster.StartAsync();

        var refused = await Assert.ThrowsAsync<HttpOperationException>(() => kube.Client.CoreV1.CreateNamespacedServiceAsync(Service(name), "test", cancellationToken: KubeCluster.Ct));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.Response.StatusCode);
        Assert.StartsWith($"Service \"{name}\" is invalid: metadata.name: Invalid value: \"{name}\": {rule}", Message(refused), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Label_values_over_63_characters_or_outside_the_label_alphabet_are_refused_in_metadata_templates_and_selectors()
    {
        await using var kube = await KubeCluster.StartAsync();
        var tooLong = new string('a', 64);

        var onConfigMap = await Assert.ThrowsAsync<HttpOperationException>(() => kube.Client.CoreV1.CreateNamespacedConfigMapAsync(
            new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "settings", Labels = new Dictionary<string, string> { ["app"] = tooLong } } }, "test", cancellationToken: KubeCluster.Ct));
        var onSelector = await Assert.ThrowsAsync<HttpOperationException>(() => kube.Client.CoreV1.CreateNamespacedServiceAsync(
            Service("podinfo", selector: "podinfo/primary"), "test", cancellationToken: KubeCluster.Ct));
        var onTemplate = await Assert.ThrowsAsync<HttpOperationException>(() => kube.Client.AppsV1.CreateNamespacedDeploymentAsync(
            Deployment("podinfo", label: tooLong), "test", cancellationToken: KubeCluster.Ct));
        var badKey = await Assert.ThrowsAsync<HttpOperationException>(() => kube.Client.CoreV1.CreateNamespacedConfigMapAsync(
            new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "settings", Labels = new Dictionary<string, string> { ["Example.com/app"] = "x" } } }, "test", cancellationToken: KubeCluster.Ct));

        Assert.Equal($"ConfigMap \"settings\" is invalid: metadata.labels: Invalid value: \"{tooLong}\": must be no more than 63 characters", Message(onConfigMap));
        Assert.StartsWith("Service \"podinfo\" is invalid: spec.selector: Invalid value: \"podinfo/primary\": a valid label must be an empty string or consist of alphanumeric characters", Message(onSelector), StringComparison.Ordinal);
        Assert.Contains($"spec.template.metadata.labels: Invalid value: \"{tooLong}\": must be no more than 63 characters", Message(onTemplate), StringComparison.Ordinal);
        Assert.Contains($"spec.selector.matchLabels: Invalid value: \"{tooLong}\": must be no more than 63 characters", Message(onTemplate), StringComparison.Ordinal);
        Assert.StartsWith("ConfigMap \"settings\" is invalid: metadata.labels: Invalid value: \"Example.com/app\": prefix part a lowercase RFC 1123 subdomain", Message(badKey), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Names_and_labels_at_the_limits_are_accepted()
    {
        await using var kube = await KubeCluster.StartAsync();
        var name = "p" + new string('x', 62);

        await kube.Client.CoreV1.CreateNamespacedServiceAsync(Service(name, selector: new string('v', 63)), "test", cancellationToken: KubeCluster.Ct);
        await kube.Client.CoreV1.CreateNamespacedConfigMapAsync(
            new V1ConfigMap { Metadata = new V1ObjectMeta { Name = name + ".example", Labels = new Dictionary<string, string> { ["app.kubernetes.io/name"] = "My_Value.1", ["empty"] = string.Empty } } }, "test", cancellationToken: KubeCluster.Ct);

        Assert.Equal(name, (await kube.Client.CoreV1.ReadNamespacedServiceAsync(name, "test", cancellationToken: KubeCluster.Ct)).Metadata.Name);
    }

    private static string Message(HttpOperationException e) =>
        JsonDocument.Parse(e.Response.Content).RootElement.GetProperty("message").GetString()!;

    private static V1Service Service(string name, string selector = "podinfo") => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new V1ServiceSpec { Selector = new Dictionary<string, string> { ["app"] = selector }, Ports = [new V1ServicePort { Name = "http", Port = 9898 }] },
    };

    private static V1Deployment Deployment(string name, string? label = null) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new V1DeploymentSpec
        {
            Replicas = 1,
            Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = label ?? name } },
            Template = new V1PodTemplateSpec
            {
                Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { ["app"] = label ?? name } },
                Spec = new V1PodSpec { Containers = [new V1Container { Name = "podinfod", Image = "stefanprodan/podinfo:1.4.0", Ports = [new V1ContainerPort { ContainerPort = 9898, Name = "http" }] }] },
            },
        },
    };
}
