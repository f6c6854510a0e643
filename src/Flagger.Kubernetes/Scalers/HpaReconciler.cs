using System.Text.Json;
using System.Text.Json.Nodes;
using Flagger.Kubernetes.Caches;
using Flagger.Model;
using Flagger.Targets;
using k8s;
using Microsoft.Extensions.Options;

namespace Flagger.Kubernetes.Scalers;

/// <summary>
/// The target's HorizontalPodAutoscaler cloned as <c>&lt;hpa&gt;-primary</c> (autoscaling/v2) and pointed at the
/// primary; updated only at promotion. Pause and resume are no-ops for HPAs, as in Flagger.
/// </summary>
internal sealed class HpaReconciler(IKubernetes client, ClusterCache cache, IOptions<KubernetesOptions> options) : IScalerReconciler
{
    public async Task ReconcilePrimaryScalerAsync(Canary canary, bool initializing, CancellationToken cancellationToken)
    {
        await cache.SyncAsync(cancellationToken).ConfigureAwait(false);
        var reference = canary.Spec.AutoscalerRef!;
        var id = $"{reference.Name}.{canary.Namespace}";
        var source = cache.Hpas.Get(canary.Namespace, reference.Name ?? string.Empty)
            ?? throw new InvalidOperationException($"HorizontalPodAutoscaler {id} get query error: not found");
        var name = reference.Name + "-primary";
        var existing = cache.Hpas.Get(canary.Namespace, name);
        if (existing is not null && initializing)
        {
            return;
        }

        var spec = source["spec"]?.AsObject() ?? [];
        var desiredSpec = new JsonObject
        {
            ["scaleTargetRef"] = new JsonObject { ["apiVersion"] = canary.Spec.TargetRef?.ApiVersion ?? "apps/v1", ["kind"] = canary.GetTargetKind(), ["name"] = canary.GetTargetName() + "-primary" },
            ["minReplicas"] = reference.PrimaryScalerReplicas?.MinReplicas is { } min ? min : spec["minReplicas"]?.DeepClone(),
            ["maxReplicas"] = reference.PrimaryScalerReplicas?.MaxReplicas is { } max ? max : spec["maxReplicas"]?.DeepClone(),
            ["metrics"] = HpaMetrics.ToV2(spec["metrics"] as JsonArray),
        };
        if (spec["behavior"] is { } behavior)
        {
            desiredSpec["behavior"] = behavior.DeepClone();
        }

        var metadata = source["metadata"];
        var labels = Ownership.Filter(Strings(metadata?["labels"]), options.Value.IncludeLabelPrefixes);
        var annotations = Ownership.Filter(Strings(metadata?["annotations"]), options.Value.IncludeLabelPrefixes);
        if (existing is null)
        {
            var body = new JsonObject
            {
                ["apiVersion"] = "autoscaling/v2",
                ["kind"] = "HorizontalPodAutoscaler",
                ["metadata"] = new JsonObject
                {
                    ["name"] = name,
                    ["namespace"] = canary.Namespace,
                    ["ownerReferences"] = JsonNode.Parse(KubernetesJson.Serialize(new[] { CanaryOwnership.ControllerReference(canary) })),
                },
                ["spec"] = desiredSpec,
            };
            Set(body["metadata"]!.AsObject(), "labels", Node(labels));
            Set(body["metadata"]!.AsObject(), "annotations", Node(annotations));
            var created = await client.CustomObjects.CreateNamespacedCustomObjectAsync(body, "autoscaling", "v2", canary.Namespace, "horizontalpodautoscalers", cancellationToken: cancellationToken).ConfigureAwait(false);
            cache.Hpas.Upsert(JsonNode.Parse(((JsonElement)created).GetRawText())!.AsObject());
            return;
        }

        // At promotion: metrics, behaviour, bounds, labels and annotations follow the target's HPA.
        var updated = (JsonObject)existing.DeepClone();
        var updatedSpec = updated["spec"]?.AsObject() ?? [];
        foreach (var field in new[] { "minReplicas", "maxReplicas", "metrics", "behavior" })
        {
            Set(updatedSpec, field, desiredSpec[field]?.DeepClone());
        }

        updated["spec"] = updatedSpec;
        Set(updated["metadata"]!.AsObject(), "labels", Node(labels));
        Set(updated["metadata"]!.AsObject(), "annotations", Node(annotations));
        if (JsonNode.DeepEquals(updated, existing))
        {
            return;
        }

        var replaced = await client.CustomObjects.ReplaceNamespacedCustomObjectAsync(updated, "autoscaling", "v2", canary.Namespace, "horizontalpodautoscalers", name, cancellationToken: cancellationToken).ConfigureAwait(false);
        cache.Hpas.Upsert(JsonNode.Parse(((JsonElement)replaced).GetRawText())!.AsObject());
    }

    public Task PauseTargetScalerAsync(Canary canary, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task ResumeTargetScalerAsync(Canary canary, CancellationToken cancellationToken) => Task.CompletedTask;

    // An absent field and a null one are the same object to the server; keep them absent so comparisons hold.
    private static void Set(JsonObject target, string key, JsonNode? value)
    {
        if (value is null)
        {
            target.Remove(key);
        }
        else
        {
            target[key] = value;
        }
    }

    private static Dictionary<string, string>? Strings(JsonNode? node) =>
        (node as JsonObject)?.ToDictionary(kv => kv.Key, kv => kv.Value?.GetValue<string>() ?? string.Empty, StringComparer.Ordinal);

    private static JsonObject? Node(Dictionary<string, string>? values) =>
        values is null ? null : new JsonObject(values.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value)));
}
