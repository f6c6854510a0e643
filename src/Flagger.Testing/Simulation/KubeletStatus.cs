using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Flagger.Testing.Storage;

namespace Flagger.Testing.Simulation;

/// <summary>
/// A running pod's status as a kubelet reports it: the four conditions (PodScheduled, Initialized,
/// ContainersReady, Ready) with transition times, per-container <c>imageID</c> and <c>containerd://</c>
/// <c>containerID</c>, <c>hostIP(s)</c>, <c>podIP(s)</c> and <c>qosClass</c>. Clients depend on these:
/// the Kubernetes Python client refuses a container status without <c>imageID</c>.
/// </summary>
/// <remarks>
/// Everything time-like comes from the pod's stored status when it is unchanged, so writing the same
/// readiness twice writes nothing, a condition's <c>lastTransitionTime</c> moves only when its status flips,
/// and a restarted simulator (or a re-sync) keeps what the pod already reports. Identifiers are derived, not
/// random: an image always has the same digest and a container the same ID until its restart count changes.
/// </remarks>
internal static class KubeletStatus
{
    /// <summary>The status of a pod whose containers run, ready or not.</summary>
    /// <param name="pod">The pod as stored: its spec (containers, resources, node), and its previous status, kept where nothing changed.</param>
    /// <param name="ready">Whether its containers pass their readiness.</param>
    /// <param name="now">The cluster clock, for transitions happening now.</param>
    public static JsonObject Running(JsonObject pod, bool ready, DateTimeOffset now)
    {
        var spec = pod["spec"] as JsonObject;
        var previous = pod["status"] as JsonObject;
        var startTime = Meta.Str(previous?["startTime"]) ?? Meta.Timestamp(now);
        var scheduledAt = Meta.Str(pod["metadata"]?["creationTimestamp"]) ?? startTime;
        var containers = (spec?["containers"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        var initContainers = (spec?["initContainers"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        var uid = Meta.Uid(pod) ?? $"{Meta.Namespace(pod)}/{Meta.Name(pod)}";
        var flag = ready ? "True" : "False";
        var nowText = Meta.Timestamp(now);
        var unready = ready ? null : $"containers with unready status: [{string.Join(' ', containers.Select(c => Meta.Str(c["name"])))}]";

        var status = new JsonObject
        {
            ["phase"] = "Running",
            ["conditions"] = new JsonArray(
                Condition(previous, "Initialized", "True", startTime, now),
                Condition(previous, "Ready", flag, nowText, now, unready is null ? null : "ContainersNotReady", unready),
                Condition(previous, "ContainersReady", flag, nowText, now, unready is null ? null : "ContainersNotReady", unready),
                Condition(previous, "PodScheduled", "True", scheduledAt, now)),
            ["hostIP"] = HostIp(spec),
            ["hostIPs"] = new JsonArray(new JsonObject { ["ip"] = HostIp(spec) }),
            ["podIP"] = PodIp(spec, pod),
            ["podIPs"] = new JsonArray(new JsonObject { ["ip"] = PodIp(spec, pod) }),
            ["startTime"] = startTime,
            ["qosClass"] = QosClass([.. containers, .. initContainers]),
        };
        if (initContainers.Count > 0)
        {
            status["initContainerStatuses"] = new JsonArray([.. initContainers.Select(c => (JsonNode)InitContainer(c, previous, uid, startTime))]);
        }

        status["containerStatuses"] = new JsonArray([.. containers.Select(c => (JsonNode)Container(c, previous, uid, ready, startTime, now))]);
        return status;
    }

    /// <summary>The node's address: node-N is 10.0.0.(N+1).</summary>
    public static string NodeIp(int index) => string.Create(CultureInfo.InvariantCulture, $"10.0.0.{index + 1}");

    /// <summary>A stable digest per image reference: <c>repository@sha256:…</c>, or the reference itself when it is pinned.</summary>
    public static string ImageId(string image)
    {
        if (image.Contains("@sha256:", StringComparison.Ordinal))
        {
            return image;
        }

        // The tag is after the last ':' that follows the last '/' (a registry port also has a ':').
        var slash = image.LastIndexOf('/');
        var colon = image.LastIndexOf(':');
        var repository = colon > slash ? image[..colon] : image;
        return $"{repository}@sha256:{Hex(image)}";
    }

    /// <summary>Kubernetes' QoS class from requests and limits of cpu and memory (a limit alone implies an equal request).</summary>
    public static string QosClass(IReadOnlyList<JsonObject> containers)
    {
        var any = false;
        var guaranteed = containers.Count > 0;
        foreach (var c in containers)
        {
            var requests = c["resources"]?["requests"] as JsonObject;
            var limits = c["resources"]?["limits"] as JsonObject;
            foreach (var resource in (string[])["cpu", "memory"])
            {
                var limit = Meta.Str(limits?[resource]);
                var request = Meta.Str(requests?[resource]) ?? limit;
                any |= request is not null || limit is not null;
                guaranteed &= limit is not null && Quantity.Same(request, limit);
            }
        }

        return !any ? "BestEffort" : guaranteed ? "Guaranteed" : "Burstable";
    }

    private static JsonObject Condition(JsonObject? previous, string type, string status, string since, DateTimeOffset now, string? reason = null, string? message = null)
    {
        var before = (previous?["conditions"] as JsonArray ?? []).OfType<JsonObject>().FirstOrDefault(c => Meta.Str(c["type"]) == type);
        // A condition reported for the first time dates from the event it stands for (scheduling, start,
        // readiness); afterwards its time moves only when its status flips.
        var transition = before is null ? since
            : Meta.Str(before["status"]) == status ? Meta.Str(before["lastTransitionTime"]) ?? since
            : Meta.Timestamp(now);
        var condition = new JsonObject
        {
            ["type"] = type,
            ["status"] = status,
            ["lastTransitionTime"] = transition,
        };
        if (reason is not null)
        {
            condition["reason"] = reason;
            condition["message"] = message;
        }

        return condition;
    }

    private static JsonObject Container(JsonObject container, JsonObject? previous, string uid, bool ready, string startTime, DateTimeOffset now)
    {
        var name = Meta.Str(container["name"]) ?? "";
        var image = Meta.Str(container["image"]) ?? "";
        var before = Previous(previous, "containerStatuses", name);
        var restarts = Meta.Int(before?["restartCount"], 0);
        var lastState = before?["lastState"]?.DeepClone() ?? new JsonObject();
        var startedAt = Meta.Str(before?["state"]?["running"]?["startedAt"]) ?? startTime;
        if (Restarts(container, before))
        {
            // The image changed in place: the kubelet stops the old container and starts a new one.
            lastState = new JsonObject
            {
                ["terminated"] = new JsonObject
                {
                    ["exitCode"] = 0,
                    ["reason"] = "Completed",
                    ["startedAt"] = startedAt,
                    ["finishedAt"] = Meta.Timestamp(now),
                    ["containerID"] = Meta.Str(before!["containerID"]),
                },
            };
            restarts++;
            startedAt = Meta.Timestamp(now);
        }

        return new JsonObject
        {
            ["name"] = name,
            ["image"] = image,
            ["imageID"] = ImageId(image),
            ["containerID"] = ContainerId(uid, name, restarts),
            ["ready"] = ready,
            ["started"] = true,
            ["restartCount"] = restarts,
            ["lastState"] = lastState,
            ["state"] = new JsonObject { ["running"] = new JsonObject { ["startedAt"] = startedAt } },
        };
    }

    /// <summary>True when a running pod's spec names another image for a container than the one it runs.</summary>
    public static bool NeedsRestart(JsonObject pod) =>
        Meta.Str(pod["status"]?["phase"]) == "Running"
        && (pod["spec"]?["containers"] as JsonArray ?? []).OfType<JsonObject>()
            .Any(c => Restarts(c, Previous(pod["status"] as JsonObject, "containerStatuses", Meta.Str(c["name"]) ?? "")));

    private static bool Restarts(JsonObject container, JsonObject? before) =>
        before is not null && Meta.Str(before["image"]) != Meta.Str(container["image"]);

    private static JsonObject InitContainer(JsonObject container, JsonObject? previous, string uid, string startTime)
    {
        var name = Meta.Str(container["name"]) ?? "";
        var image = Meta.Str(container["image"]) ?? "";
        var before = Previous(previous, "initContainerStatuses", name);
        var id = ContainerId(uid, name, 0);
        return before?.DeepClone() as JsonObject ?? new JsonObject
        {
            ["name"] = name,
            ["image"] = image,
            ["imageID"] = ImageId(image),
            ["containerID"] = id,
            ["ready"] = true,
            ["started"] = false,
            ["restartCount"] = 0,
            ["lastState"] = new JsonObject(),
            ["state"] = new JsonObject
            {
                ["terminated"] = new JsonObject
                {
                    ["exitCode"] = 0,
                    ["reason"] = "Completed",
                    ["startedAt"] = startTime,
                    ["finishedAt"] = startTime,
                    ["containerID"] = id,
                },
            },
        };
    }

    private static JsonObject? Previous(JsonObject? status, string list, string name) =>
        (status?[list] as JsonArray ?? []).OfType<JsonObject>().FirstOrDefault(s => Meta.Str(s["name"]) == name);

    private static string ContainerId(string podUid, string name, int restarts) =>
        "containerd://" + Hex(string.Create(CultureInfo.InvariantCulture, $"{podUid}/{name}/{restarts}"));

    private static int NodeIndex(JsonObject? spec) =>
        Meta.Str(spec?["nodeName"]) is { } node && node.StartsWith("node-", StringComparison.Ordinal)
        && int.TryParse(node["node-".Length..], NumberStyles.None, CultureInfo.InvariantCulture, out var index) ? index : 0;

    private static string HostIp(JsonObject? spec) => NodeIp(NodeIndex(spec));

    /// <summary>From the node's pod range 10.244.N.0/24, stable for the pod's name (a kubelet's IPAM would pick a free one).</summary>
    private static string PodIp(JsonObject? spec, JsonObject pod)
    {
        var digest = SHA256.HashData(Encoding.UTF8.GetBytes($"{Meta.Namespace(pod)}/{Meta.Name(pod)}"));
        return string.Create(CultureInfo.InvariantCulture, $"10.244.{NodeIndex(spec)}.{(digest[0] % 250) + 2}");
    }

    private static string Hex(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    /// <summary>Enough of resource.Quantity to compare a request with a limit: "1" equals "1000m", "1Gi" equals "1024Mi".</summary>
    private static class Quantity
    {
        public static bool Same(string? a, string? b) => a == b || (a is not null && b is not null && Parse(a) is { } x && Parse(b) is { } y && x == y);

        private static decimal? Parse(string text)
        {
            (string Suffix, decimal Factor)[] units =
            [
                ("Ki", 1024m), ("Mi", 1024m * 1024), ("Gi", 1024m * 1024 * 1024), ("Ti", 1024m * 1024 * 1024 * 1024),
                ("m", 0.001m), ("k", 1e3m), ("M", 1e6m), ("G", 1e9m), ("T", 1e12m),
            ];
            foreach (var (suffix, factor) in units)
            {
                if (text.EndsWith(suffix, StringComparison.Ordinal) && decimal.TryParse(text[..^suffix.Length], NumberStyles.Float, CultureInfo.InvariantCulture, out var n))
                {
                    return n * factor;
                }
            }

            return decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var plain) ? plain : null;
        }
    }
}
