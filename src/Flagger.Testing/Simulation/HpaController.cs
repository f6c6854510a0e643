using System.Text.Json.Nodes;
using Flagger.Testing.Storage;

namespace Flagger.Testing.Simulation;

/// <summary>
/// The simulated HPA controller. With no metrics to act on it only keeps the target's replicas within
/// [minReplicas, maxReplicas]; like the real one it leaves a target scaled to zero alone (scaling disabled),
/// which is how Flagger parks a canary Deployment that still has an HPA.
/// </summary>
internal static class HpaController
{
    public static void Reconcile(ObjectStore store, ResourceType hpas, JsonObject hpa)
    {
        var spec = hpa["spec"];
        var targetKind = Meta.Str(spec?["scaleTargetRef"]?["kind"]);
        var targetName = Meta.Str(spec?["scaleTargetRef"]?["name"]);
        var ns = Meta.Namespace(hpa);
        var targetType = targetKind switch
        {
            "Deployment" => store.Registry.Find("apps", "v1", "deployments"),
            "StatefulSet" => store.Registry.Find("apps", "v1", "statefulsets"),
            "ReplicaSet" => store.Registry.Find("apps", "v1", "replicasets"),
            _ => null,
        };
        if (targetType is null || targetName is null || store.TryGet(targetType, ns, targetName) is not { } target || Meta.IsDeleting(target))
        {
            return;
        }

        var current = Meta.Int(target["spec"]?["replicas"], 1);
        var min = Meta.Int(spec?["minReplicas"], 1);
        var max = Meta.Int(spec?["maxReplicas"], Math.Max(min, current));
        var desired = current == 0 ? 0 : Math.Clamp(current, min, Math.Max(min, max));
        if (desired != current)
        {
            store.Patch(targetType, ns, targetName, o =>
            {
                o["spec"]!["replicas"] = desired;
                return o;
            }, statusOnly: false, dryRun: false);
        }

        var status = new JsonObject { ["currentReplicas"] = current, ["desiredReplicas"] = desired };
        if (!JsonNode.DeepEquals(hpa["status"]?["currentReplicas"], status["currentReplicas"]) || !JsonNode.DeepEquals(hpa["status"]?["desiredReplicas"], status["desiredReplicas"]))
        {
            var body = new JsonObject { ["metadata"] = new JsonObject { ["name"] = Meta.Name(hpa) }, ["status"] = status };
            store.Update(hpas, ns, Meta.Name(hpa), body, statusOnly: true, dryRun: false);
        }
    }
}
