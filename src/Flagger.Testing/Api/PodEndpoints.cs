using System.Text.Json.Nodes;
using Flagger.Testing.Pods;
using Flagger.Testing.Storage;
using Microsoft.AspNetCore.Http;

namespace Flagger.Testing.Api;

/// <summary>The pod subresources a kubelet would serve: <c>log</c> and <c>exec</c>.</summary>
internal sealed class PodEndpoints(ObjectStore store, PodLogs logs, PodNetwork network)
{
    private readonly PodLogEndpoint _logs = new(store, logs);
    private readonly PodExecEndpoint _exec = new(store, network);

    public static bool Serves(RequestPath path) =>
        path is { Group: "", Resource: "pods", Namespace: not null, Name: not null, Subresource: "log" or "exec" };

    public Task HandleAsync(HttpContext context, RequestPath path, ResourceType pods, CancellationToken ct)
    {
        var pod = store.Get(pods, path.Namespace, path.Name!);
        return path.Subresource == "log"
            ? _logs.HandleAsync(context, pod, ct)
            : _exec.HandleAsync(context, pod, ct);
    }

    /// <summary>Checks a <c>container</c> parameter against the pod's containers, with the API server's message.</summary>
    public static void CheckContainer(JsonObject pod, string? container)
    {
        if (string.IsNullOrEmpty(container))
        {
            return;
        }

        var names = (pod["spec"]?["containers"] as JsonArray ?? []).Select(c => Meta.Str(c?["name"])).ToList();
        if (!names.Contains(container))
        {
            throw ApiException.BadRequest($"container {container} is not valid for pod {Meta.Name(pod)}; choose one of: [{string.Join(' ', names)}]");
        }
    }
}
