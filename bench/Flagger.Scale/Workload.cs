using System.Globalization;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;

namespace Flagger.Scale;

/// <summary>
/// The objects of one canary as a user writes them: a Deployment and a Canary (Istio, one builtin metric,
/// threshold 2). The operator creates the rest (primary, Services, VirtualService, DestinationRules).
/// </summary>
public sealed class Workload(IKubernetes client, ScaleOptions options)
{
    /// <summary>Namespace every canary lives in.</summary>
    public const string Namespace = "scale";

    /// <summary>Failed checks that roll a canary back.</summary>
    public const int Threshold = 2;

    /// <summary>Weight added per step (to <c>maxWeight</c> 50: two steps, then promotion).</summary>
    public const int StepWeight = 25;

    /// <summary>Name of the <paramref name="index"/>-th canary and of its Deployment.</summary>
    public static string Name(int index) => string.Create(CultureInfo.InvariantCulture, $"app-{index:D5}");

    public async Task CreateNamespaceAsync(CancellationToken cancellationToken) =>
        await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = Namespace } }, cancellationToken: cancellationToken).ConfigureAwait(false);

    /// <summary>Creates the Deployment and the Canary of canary <paramref name="index"/>.</summary>
    public async Task CreateAsync(int index, CancellationToken cancellationToken)
    {
        var name = Name(index);
        await client.AppsV1.CreateNamespacedDeploymentAsync(Deployment(name), Namespace, cancellationToken: cancellationToken).ConfigureAwait(false);
        await client.CustomObjects.CreateNamespacedCustomObjectAsync(Canary(name), "flagger.app", "v1beta1", Namespace, "canaries", cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    /// <summary>What <c>kubectl set image deployment/NAME podinfod=IMAGE</c> sends: a strategic merge patch of the pod template.</summary>
    public async Task SetImageAsync(string name, string image, CancellationToken cancellationToken)
    {
        var patch = new V1Patch("{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"podinfod\",\"image\":\"" + image + "\"}]}}}}", V1Patch.PatchType.StrategicMergePatch);
        await client.AppsV1.PatchNamespacedDeploymentAsync(patch, name, Namespace, cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    private static V1Deployment Deployment(string name) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, Labels = new Dictionary<string, string> { ["app"] = name } },
        Spec = new V1DeploymentSpec
        {
            Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = name } },
            Template = new V1PodTemplateSpec
            {
                Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { ["app"] = name } },
                Spec = new V1PodSpec
                {
                    Containers =
                    [
                        new V1Container
                        {
                            Name = "podinfod",
                            Image = "ghcr.io/stefanprodan/podinfo:6.0.0",
                            Ports = [new V1ContainerPort { ContainerPort = 9898, Name = "http", Protocol = "TCP" }],
                        },
                    ],
                },
            },
        },
    };

    private JsonObject Canary(string name) => new()
    {
        ["apiVersion"] = "flagger.app/v1beta1",
        ["kind"] = "Canary",
        ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = Namespace },
        ["spec"] = new JsonObject
        {
            ["targetRef"] = new JsonObject { ["apiVersion"] = "apps/v1", ["kind"] = "Deployment", ["name"] = name },
            ["progressDeadlineSeconds"] = 60,
            ["service"] = new JsonObject { ["port"] = 9898 },
            ["analysis"] = new JsonObject
            {
                ["interval"] = options.IntervalText,
                ["threshold"] = Threshold,
                ["maxWeight"] = 50,
                ["stepWeight"] = StepWeight,
                ["metrics"] = new JsonArray(new JsonObject
                {
                    ["name"] = "request-success-rate",
                    ["thresholdRange"] = new JsonObject { ["min"] = 99 },
                    ["interval"] = "1m",
                }),
            },
        },
    };
}
