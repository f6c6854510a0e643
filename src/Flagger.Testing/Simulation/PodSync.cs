using System.Text.Json.Nodes;
using Flagger.Testing.Storage;

namespace Flagger.Testing.Simulation;

/// <summary>
/// Keeps a workload's Pods in line with its simulated status, so <c>kubectl get pods</c> shows what a cluster
/// would: one Running pod per replica, named after the template hash, Ready once the rollout says so. Pods
/// are owned by the workload directly (no ReplicaSets), so deleting the workload collects them.
/// </summary>
internal static class PodSync
{
    public static void Sync(ObjectStore store, JsonObject workload, int desired, int ready, int nodeCount, DateTimeOffset now, string? missingImage = null)
    {
        var pods = store.Registry.Find("", "v1", "pods")!;
        var ns = Meta.Namespace(workload);
        var uid = Meta.Uid(workload);
        var template = workload["spec"]?["template"] as JsonObject;
        var hash = WorkloadStatus.TemplateHash(template);
        var owned = store.OwnedBy(pods, uid);
        var current = new List<JsonObject>();
        foreach (var pod in owned)
        {
            var keep = Meta.Str(pod["metadata"]?["labels"]?["pod-template-hash"]) == hash && current.Count < desired;
            if (keep)
            {
                current.Add(pod);
            }
            else
            {
                store.Delete(pods, ns, Meta.Name(pod), Propagation.Background, null, null, dryRun: false);
            }
        }

        var isDaemonSet = Meta.Str(workload["kind"]) == "DaemonSet";
        while (current.Count < desired)
        {
            current.Add(store.Create(pods, ns, NewPod(workload, template, hash, isDaemonSet, current.Count, nodeCount, now), dryRun: false));
        }

        for (var i = 0; i < current.Count; i++)
        {
            // Pods of the ready replicas kept from before (an unpullable new revision keeps none) run; others wait on the pull.
            var status = missingImage is null || i < ready ? KubeletStatus.Running(current[i], i < ready, now) : ImagePullStatus.Waiting(current[i], missingImage, now);
            if (!JsonNode.DeepEquals(status, current[i]["status"]))
            {
                ImagePullStatus.RecordTransition(store, current[i], status, now);
                var body = new JsonObject { ["metadata"] = new JsonObject { ["name"] = Meta.Name(current[i]) }, ["status"] = status };
                store.Update(pods, ns, Meta.Name(current[i]), body, statusOnly: true, dryRun: false);
            }
        }
    }

    private static JsonObject NewPod(JsonObject workload, JsonObject? template, string hash, bool isDaemonSet, int index, int nodeCount, DateTimeOffset now)
    {
        var name = Meta.Name(workload);
        var labels = (template?["metadata"]?["labels"]?.DeepClone() as JsonObject) ?? new JsonObject();
        labels["pod-template-hash"] = hash;
        var spec = (template?["spec"]?.DeepClone() as JsonObject) ?? new JsonObject();
        // A DaemonSet's pod N runs on node N; a Deployment's replicas are spread over the nodes there are.
        spec["nodeName"] = $"node-{(isDaemonSet ? index : index % Math.Max(1, nodeCount))}";
        return new JsonObject
        {
            ["metadata"] = new JsonObject
            {
                ["generateName"] = isDaemonSet ? $"{name}-" : $"{name}-{hash}-",
                ["labels"] = labels,
                ["annotations"] = template?["metadata"]?["annotations"]?.DeepClone(),
                ["ownerReferences"] = new JsonArray(new JsonObject
                {
                    ["apiVersion"] = "apps/v1",
                    ["kind"] = Meta.Str(workload["kind"]),
                    ["name"] = name,
                    ["uid"] = Meta.Uid(workload),
                    ["controller"] = true,
                    ["blockOwnerDeletion"] = true,
                }),
            },
            ["spec"] = spec,
            ["status"] = new JsonObject { ["phase"] = "Pending", ["startTime"] = Meta.Timestamp(now) },
        };
    }
}
