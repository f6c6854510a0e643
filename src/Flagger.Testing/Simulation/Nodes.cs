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
                ["capacity"] = new JsonObject { ["cpu"] = "2", ["memory"] = "8Gi", ["pods"] = "110" },
                ["allocatable"] = new JsonObject { ["cpu"] = "2", ["memory"] = "8Gi", ["pods"] = "110" },
                // Every field a client's NodeSystemInfo model requires; the IDs are fixed per node.
                ["nodeInfo"] = new JsonObject
                {
                    ["kubeletVersion"] = "v1.32.0",
                    ["kubeProxyVersion"] = "v1.32.0",
                    ["containerRuntimeVersion"] = "containerd://1.7.24",
                    ["operatingSystem"] = "linux",
                    ["architecture"] = "amd64",
                    ["osImage"] = "Debian GNU/Linux 12 (bookworm)",
                    ["kernelVersion"] = "6.1.0",
                    ["machineID"] = Id(index, "machine"),
                    ["systemUUID"] = Guid.Parse(Id(index, "system")).ToString(),
                    ["bootID"] = Guid.Parse(Id(index, "boot")).ToString(),
                },
            },
        };
    }

    private static string Id(int index, string what) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes($"node-{index}/{what}")))[..32];
}
