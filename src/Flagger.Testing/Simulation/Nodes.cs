using System.Text.Json.Nodes;

namespace Flagger.Testing.Simulation;

/// <summary>The simulated nodes: <c>node-0</c> … <c>node-(N-1)</c>, Ready, linux/amd64.</summary>
internal static class Nodes
{
    public static Dictionary<string, string> Labels(int index) => new(StringComparer.Ordinal)
    {
        ["kubernetes.io/hostname"] = $"node-{index}",
        ["kubernetes.io/os"] = "linux",
        ["kubernetes.io/arch"] = "amd64",
    };

    public static JsonObject Create(int index)
    {
        var labels = new JsonObject();
        foreach (var (k, v) in Labels(index))
        {
            labels[k] = v;
        }

        return new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = $"node-{index}", ["labels"] = labels },
            ["spec"] = new JsonObject(),
            ["status"] = new JsonObject
            {
                ["conditions"] = new JsonArray(new JsonObject { ["type"] = "Ready", ["status"] = "True", ["reason"] = "KubeletReady", ["message"] = "kubelet is posting ready status" }),
                ["addresses"] = new JsonArray(
                    new JsonObject { ["type"] = "InternalIP", ["address"] = KubeletStatus.NodeIp(index) },
                    new JsonObject { ["type"] = "Hostname", ["address"] = $"node-{index}" }),
                ["nodeInfo"] = new JsonObject { ["kubeletVersion"] = "v1.32.0", ["operatingSystem"] = "linux", ["architecture"] = "amd64" },
            },
        };
    }
}
