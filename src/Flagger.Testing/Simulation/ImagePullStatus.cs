using System.Text.Json.Nodes;
using Flagger.Testing.Storage;

namespace Flagger.Testing.Simulation;

/// <summary>
/// The status a kubelet reports for a pod whose image cannot be pulled: Pending, not ready, each container waiting
/// in <c>ErrImagePull</c> at first and in <c>ImagePullBackOff</c> once the kubelet has retried
/// (<see cref="BackOffAfter"/>), which <c>kubectl get pods</c> and <c>kubectl describe pod</c> show.
/// </summary>
internal static class ImagePullStatus
{
    /// <summary>How long after the pod's start its pulls are reported as backing off.</summary>
    public static readonly TimeSpan BackOffAfter = TimeSpan.FromSeconds(10);

    public static JsonObject Waiting(JsonObject pod, string missingImage, DateTimeOffset now)
    {
        var previous = pod["status"] as JsonObject;
        var startTime = Meta.Str(previous?["startTime"]) ?? Meta.Timestamp(now);
        var started = DateTimeOffset.TryParse(startTime, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var at) ? at : now;
        var backOff = now - started >= BackOffAfter;
        var containers = (pod["spec"]?["containers"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        var names = string.Join(' ', containers.Select(c => Meta.Str(c["name"])));
        JsonObject Condition(string type, string status, string? reason = null) => new()
        {
            ["type"] = type,
            ["status"] = status,
            ["lastTransitionTime"] = startTime,
            ["reason"] = reason,
            ["message"] = reason is null ? null : $"containers with unready status: [{names}]",
        };

        return new JsonObject
        {
            ["phase"] = "Pending",
            ["conditions"] = new JsonArray(
                Condition("Initialized", "True"),
                Condition("Ready", "False", "ContainersNotReady"),
                Condition("ContainersReady", "False", "ContainersNotReady"),
                Condition("PodScheduled", "True")),
            ["startTime"] = startTime,
            ["containerStatuses"] = new JsonArray([.. containers.Select(c => (JsonNode)new JsonObject
            {
                ["name"] = Meta.Str(c["name"]),
                ["image"] = Meta.Str(c["image"]),
                ["imageID"] = "",
                ["ready"] = false,
                ["started"] = false,
                ["restartCount"] = 0,
                ["state"] = new JsonObject
                {
                    ["waiting"] = Meta.Str(c["image"]) == missingImage
                        ? new JsonObject
                        {
                            ["reason"] = backOff ? "ImagePullBackOff" : "ErrImagePull",
                            ["message"] = backOff
                                ? $"Back-off pulling image \"{missingImage}\""
                                : $"rpc error: code = NotFound desc = failed to pull and unpack image \"{missingImage}\": not found (the embedded cluster's image catalogue has no such image)",
                        }
                        : new JsonObject { ["reason"] = "PodInitializing" },
                },
            })]),
        };
    }

    /// <summary>
    /// Records the kubelet's Warning event when a pod's pull state changes (<c>Failed</c> for ErrImagePull,
    /// <c>BackOff</c> for ImagePullBackOff), which <c>kubectl describe pod</c> lists with its message.
    /// </summary>
    public static void RecordTransition(ObjectStore store, JsonObject pod, JsonObject status, DateTimeOffset now)
    {
        var waiting = (status["containerStatuses"] as JsonArray ?? []).Select(c => c?["state"]?["waiting"]).OfType<JsonObject>()
            .FirstOrDefault(w => Meta.Str(w["reason"]) is "ErrImagePull" or "ImagePullBackOff");
        var before = (pod["status"]?["containerStatuses"] as JsonArray ?? []).Select(c => Meta.Str(c?["state"]?["waiting"]?["reason"])).ToList();
        if (waiting is null || before.Contains(Meta.Str(waiting["reason"])))
        {
            return;
        }

        var backOff = Meta.Str(waiting["reason"]) == "ImagePullBackOff";
        var events = store.Registry.Find("", "v1", "events")!;
        var stamp = Meta.Timestamp(now);
        store.Create(events, Meta.Namespace(pod), new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = $"{Meta.Name(pod)}.{now.ToUnixTimeMilliseconds():x}{(backOff ? "b" : "f")}", ["namespace"] = Meta.Namespace(pod) },
            ["involvedObject"] = new JsonObject
            {
                ["apiVersion"] = "v1",
                ["kind"] = "Pod",
                ["name"] = Meta.Name(pod),
                ["namespace"] = Meta.Namespace(pod),
                ["uid"] = Meta.Uid(pod),
            },
            ["type"] = "Warning",
            ["reason"] = backOff ? "BackOff" : "Failed",
            ["message"] = backOff ? Meta.Str(waiting["message"]) : $"Failed to pull image: {Meta.Str(waiting["message"])}",
            ["source"] = new JsonObject { ["component"] = "kubelet", ["host"] = Meta.Str(pod["spec"]?["nodeName"]) },
            ["firstTimestamp"] = stamp,
            ["lastTimestamp"] = stamp,
            ["count"] = 1,
        }, dryRun: false);
    }
}
