using System.Globalization;
using System.Text.Json.Nodes;
using Flagger.Testing.Storage;

namespace Flagger.Testing.Pods;

/// <summary>
/// <c>grpc_health_probe -addr=HOST:PORT [-connect-timeout=1s] [-service=NAME]</c>: <c>status: SERVING</c> (exit 0)
/// when the Service's port leads to a ready pod whose podinfo container serves gRPC on it (<c>--grpc-port=N</c>, or a
/// container port named <c>grpc</c>); otherwise the probe's own failure text and exit code 2.
/// </summary>
internal static class PodGrpcProbe
{
    public static async Task<int> RunAsync(string ns, IReadOnlyList<string> args, PodNetwork network, Func<string, CancellationToken, Task> stdout, Func<string, CancellationToken, Task> stderr, CancellationToken ct)
    {
        string? address = null;
        var timeout = "1s";
        for (var i = 0; i < args.Count; i++)
        {
            var (flag, value) = args[i].TrimStart('-').Split('=', 2) is [var f, var v] ? (f, v) : (args[i].TrimStart('-'), i + 1 < args.Count ? args[++i] : "");
            switch (flag)
            {
                case "addr":
                    address = value;
                    break;
                case "connect-timeout":
                    timeout = value;
                    break;
            }
        }

        if (address is null || address.LastIndexOf(':') is var colon && colon <= 0
            || !int.TryParse(address[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port))
        {
            await stderr("error: -addr not specified\n", ct).ConfigureAwait(false);
            return 1;
        }

        var host = address[..colon];
        if (network.Resolve(ns, host) is not { } service || !Serves(network.Store, service, port))
        {
            await stderr($"timeout: failed to connect service \"{address}\" within {timeout}\n", ct).ConfigureAwait(false);
            return 2;
        }

        await stdout("status: SERVING\n", ct).ConfigureAwait(false);
        return 0;
    }

    private static bool Serves(ObjectStore store, JsonObject service, int port)
    {
        var servicePort = (service["spec"]?["ports"] as JsonArray ?? []).FirstOrDefault(p => Meta.Int(p?["port"], 0) == port);
        if (servicePort is null || service["spec"]?["selector"] is not JsonObject selector || selector.Count == 0)
        {
            return false;
        }

        var target = servicePort["targetPort"];
        var pods = store.Registry.Find("", "v1", "pods")!;
        foreach (var pod in store.List(pods, Meta.Namespace(service), Selector.Everything, Selector.Everything).Items)
        {
            var labels = pod["metadata"]?["labels"] as JsonObject;
            if (labels is null || !selector.All(kv => Meta.Str(labels[kv.Key]) == Meta.Str(kv.Value)) || Meta.IsDeleting(pod) || !Ready(pod))
            {
                continue;
            }

            foreach (var container in pod["spec"]?["containers"] as JsonArray ?? [])
            {
                var image = Meta.Str(container?["image"]) ?? "";
                var words = (container?["command"] as JsonArray ?? []).Concat(container?["args"] as JsonArray ?? []).Select(w => Meta.Str(w) ?? "").ToList();
                foreach (var declared in container?["ports"] as JsonArray ?? [])
                {
                    var number = Meta.Int(declared?["containerPort"], 0);
                    var name = Meta.Str(declared?["name"]);
                    var targeted = target is null ? number == port : Meta.Str(target) is { } text && !int.TryParse(text, CultureInfo.InvariantCulture, out _) ? text == name : Meta.Int(target, 0) == number;
                    if (targeted && PodinfoHandler.IsPodinfo(image) && (name == "grpc" || words.Contains($"--grpc-port={number}")))
                    {
                        return true;
                    }
                }
            }
        }

        return false;
    }

    private static bool Ready(JsonObject pod) =>
        Meta.Str(pod["status"]?["phase"]) == "Running"
        && (pod["status"]?["conditions"] as JsonArray ?? []).Any(c => Meta.Str(c?["type"]) == "Ready" && Meta.Str(c?["status"]) == "True");
}
