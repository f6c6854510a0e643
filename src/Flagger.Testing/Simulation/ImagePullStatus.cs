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
}
