using System.Text.Json.Nodes;
using Flagger.Testing.Storage;

namespace Flagger.Testing.Api;

/// <summary>The <c>autoscaling/v1 Scale</c> view of a workload, for the <c>/scale</c> subresource (<c>kubectl scale</c>).</summary>
internal static class Scale
{
    public static JsonObject From(JsonObject workload)
    {
        var meta = Meta.Of(workload);
        var labels = workload["spec"]?["selector"]?["matchLabels"] as JsonObject;
        return new JsonObject
        {
            ["kind"] = "Scale",
            ["apiVersion"] = "autoscaling/v1",
            ["metadata"] = new JsonObject
            {
                ["name"] = meta["name"]?.DeepClone(),
                ["namespace"] = meta["namespace"]?.DeepClone(),
                ["uid"] = meta["uid"]?.DeepClone(),
                ["resourceVersion"] = meta["resourceVersion"]?.DeepClone(),
                ["creationTimestamp"] = meta["creationTimestamp"]?.DeepClone(),
            },
            ["spec"] = new JsonObject { ["replicas"] = workload["spec"]?["replicas"]?.DeepClone() ?? 0 },
            ["status"] = new JsonObject
            {
                ["replicas"] = workload["status"]?["replicas"]?.DeepClone() ?? 0,
                ["selector"] = labels is null ? "" : string.Join(",", labels.Select(p => $"{p.Key}={p.Value}")),
            },
        };
    }

    /// <summary>Copies spec.replicas of a Scale onto the workload (and its resourceVersion, for the conflict check).</summary>
    public static JsonObject ApplyTo(JsonObject workload, JsonObject scale)
    {
        if (workload["spec"] is JsonObject spec && scale["spec"]?["replicas"] is { } replicas)
        {
            spec["replicas"] = replicas.DeepClone();
        }

        if (Meta.ResourceVersion(scale) is { Length: > 0 } rv)
        {
            Meta.Of(workload)["resourceVersion"] = rv;
        }

        return workload;
    }
}
