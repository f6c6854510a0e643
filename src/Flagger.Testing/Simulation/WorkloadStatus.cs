using System.Text;
using System.Text.Json.Nodes;
using Flagger.Testing.Storage;

namespace Flagger.Testing.Simulation;

/// <summary>Where a simulated rollout is: pods starting, all ready, or stuck past the progress deadline.</summary>
internal enum RolloutPhase
{
    Progressing,
    Complete,
    DeadlineExceeded,
}

/// <summary>Builds Deployment and DaemonSet status the way the real controllers word it.</summary>
internal static class WorkloadStatus
{
    public static JsonObject Deployment(JsonObject deployment, JsonObject? previousStatus, int desired, int ready, RolloutPhase phase, DateTimeOffset now)
    {
        var rs = $"{Meta.Name(deployment)}-{TemplateHash(deployment["spec"]?["template"])}";
        var status = new JsonObject { ["observedGeneration"] = Meta.Generation(deployment) };
        if (desired > 0)
        {
            status["replicas"] = desired;
            status["updatedReplicas"] = desired;
        }

        if (ready > 0)
        {
            status["readyReplicas"] = ready;
            status["availableReplicas"] = ready;
        }

        if (desired - ready > 0)
        {
            status["unavailableReplicas"] = desired - ready;
        }

        var available = ready >= desired
            ? Condition("Available", "True", "MinimumReplicasAvailable", "Deployment has minimum availability.")
            : Condition("Available", "False", "MinimumReplicasUnavailable", "Deployment does not have minimum availability.");
        var progressing = phase switch
        {
            RolloutPhase.Complete => Condition("Progressing", "True", "NewReplicaSetAvailable", $"ReplicaSet \"{rs}\" has successfully progressed."),
            RolloutPhase.DeadlineExceeded => Condition("Progressing", "False", "ProgressDeadlineExceeded", $"ReplicaSet \"{rs}\" has timed out progressing."),
            _ => Condition("Progressing", "True", "ReplicaSetUpdated", $"ReplicaSet \"{rs}\" is progressing."),
        };
        status["conditions"] = new JsonArray(Stamp(available, previousStatus, now), Stamp(progressing, previousStatus, now));
        return status;
    }

    public static JsonObject DaemonSet(JsonObject daemonSet, int desired, int ready)
    {
        var status = new JsonObject
        {
            ["currentNumberScheduled"] = desired,
            ["desiredNumberScheduled"] = desired,
            ["numberMisscheduled"] = 0,
            ["numberReady"] = ready,
            ["observedGeneration"] = Meta.Generation(daemonSet),
            ["updatedNumberScheduled"] = desired,
        };
        if (ready > 0)
        {
            status["numberAvailable"] = ready;
        }

        if (desired - ready > 0)
        {
            status["numberUnavailable"] = desired - ready;
        }

        return status;
    }

    /// <summary>The pod-template-hash: FNV-32a of the template JSON in the "safe" alphabet, like the real label.</summary>
    public static string TemplateHash(JsonNode? template)
    {
        var hash = 2166136261u;
        foreach (var b in Encoding.UTF8.GetBytes(template?.ToJsonString() ?? ""))
        {
            hash = (hash ^ b) * 16777619u;
        }

        const string alphabet = "bcdfghjklmnpqrstvwxz2456789";
        var text = new StringBuilder();
        foreach (var digit in hash.ToString(System.Globalization.CultureInfo.InvariantCulture))
        {
            text.Append(alphabet[(digit - '0' + text.Length) % alphabet.Length]);
        }

        return text.ToString();
    }

    private static JsonObject Condition(string type, string status, string reason, string message) => new()
    {
        ["type"] = type,
        ["status"] = status,
        ["reason"] = reason,
        ["message"] = message,
    };

    // lastTransitionTime only moves when the status flips; lastUpdateTime whenever reason or message change.
    private static JsonObject Stamp(JsonObject condition, JsonObject? previousStatus, DateTimeOffset now)
    {
        var stamp = Meta.Timestamp(now);
        var before = (previousStatus?["conditions"] as JsonArray)?.OfType<JsonObject>().FirstOrDefault(c => Meta.Str(c["type"]) == Meta.Str(condition["type"]));
        var sameStatus = before is not null && Meta.Str(before["status"]) == Meta.Str(condition["status"]);
        var sameReason = sameStatus && Meta.Str(before!["reason"]) == Meta.Str(condition["reason"]) && Meta.Str(before["message"]) == Meta.Str(condition["message"]);
        condition["lastUpdateTime"] = sameReason ? before!["lastUpdateTime"]?.DeepClone() : stamp;
        condition["lastTransitionTime"] = sameStatus ? before!["lastTransitionTime"]?.DeepClone() : stamp;
        return condition;
    }
}
