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

        var status = new JsonObject
        {
            ["currentReplicas"] = current,
            ["desiredReplicas"] = desired,
            ["conditions"] = Conditions(hpa["status"]?["conditions"] as JsonArray, current, desired, store.Time.GetUtcNow()),
        };
        if (!JsonNode.DeepEquals(hpa["status"], status))
        {
            var body = new JsonObject { ["metadata"] = new JsonObject { ["name"] = Meta.Name(hpa) }, ["status"] = status };
            store.Update(hpas, ns, Meta.Name(hpa), body, statusOnly: true, dryRun: false);
        }
    }

    /// <summary>
    /// The three conditions the real controller reports (autoscaling/v2): clients such as the Kubernetes Python
    /// client require them. With no metrics API, scaling is never active; a transition time moves on a flip only.
    /// </summary>
    private static JsonArray Conditions(JsonArray? previous, int current, int desired, DateTimeOffset now)
    {
        JsonObject Condition(string type, bool status, string reason, string message)
        {
            var flag = status ? "True" : "False";
            var before = (previous ?? []).OfType<JsonObject>().FirstOrDefault(c => Meta.Str(c["type"]) == type);
            var since = before is not null && Meta.Str(before["status"]) == flag ? Meta.Str(before["lastTransitionTime"]) : null;
            return new JsonObject
            {
                ["type"] = type,
                ["status"] = flag,
                ["lastTransitionTime"] = since ?? Meta.Timestamp(now),
                ["reason"] = reason,
                ["message"] = message,
            };
        }

        return new JsonArray(
            Condition("AbleToScale", true, "SucceededGetScale", "the HPA controller was able to get the target's current scale"),
            current == 0
                ? Condition("ScalingActive", false, "ScalingDisabled", "scaling is disabled since the replica count of the target is zero")
                : Condition("ScalingActive", false, "FailedGetResourceMetric", "the HPA was unable to compute the replica count: the simulated cluster serves no metrics API"),
            desired == current
                ? Condition("ScalingLimited", false, "DesiredWithinRange", "the desired count is within the acceptable range")
                : desired > current
                    ? Condition("ScalingLimited", true, "TooFewReplicas", "the desired replica count is less than the minimum replica count")
                    : Condition("ScalingLimited", true, "TooManyReplicas", "the desired replica count is more than the maximum replica count"));
    }
}
