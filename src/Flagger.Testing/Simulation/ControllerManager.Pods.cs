using System.Text.Json.Nodes;
using Flagger.Testing.Storage;

namespace Flagger.Testing.Simulation;

/// <summary>
/// Pods created directly (<c>kubectl run</c>), owned by no workload: like a kubelet, the simulation starts them
/// after <see cref="EmbeddedClusterOptions.RolloutDelay"/>, marking them Running and Ready on a node.
/// </summary>
internal sealed partial class ControllerManager
{
    private readonly Dictionary<string, ITimer> _podTimers = new(StringComparer.Ordinal);

    private static bool IsStandalonePod(StoreChange change) =>
        change is { Type: "ADDED", Resource: { Group: "", Kind: "Pod" } }
        && change.Object["metadata"]?["ownerReferences"] is not JsonArray { Count: > 0 }
        && Meta.Str(change.Object["status"]?["phase"]) is null or "Pending";

    private void StartStandalonePod(StoreChange change, DateTimeOffset createdAt)
    {
        var ns = Meta.Namespace(change.Object);
        var name = Meta.Name(change.Object);
        var pods = store.Registry.Find("", "v1", "pods")!;
        var pod = store.TryGet(pods, ns, name);
        if (pod is not null && pod["spec"]?["nodeName"] is null)
        {
            // Scheduled at once onto the first node, as the scheduler would when nothing constrains it.
            store.Patch(pods, ns, name, o =>
            {
                o["spec"]!["nodeName"] = "node-0";
                return o;
            }, statusOnly: false, dryRun: false);
        }

        StartAfterDelay(new PodStarted(ns, name, Meta.Uid(change.Object)), createdAt);
    }

    /// <summary>Marks the pod started <see cref="EmbeddedClusterOptions.RolloutDelay"/> after the change that (re)started it.</summary>
    private void StartAfterDelay(PodStarted started, DateTimeOffset changedAt)
    {
        var key = $"{started.Namespace}/{started.Name}";
        if (_podTimers.Remove(key, out var previous))
        {
            previous.Dispose();
        }

        // Timed from the change, not from when the loop got to it: a test may have moved a fake clock since.
        var time = options.TimeProvider;
        var wait = changedAt + options.RolloutDelay - time.GetUtcNow();
        _podTimers[key] = time.CreateTimer(_ => _queue.Writer.TryWrite(started), null, wait > TimeSpan.Zero ? wait : TimeSpan.Zero, Timeout.InfiniteTimeSpan);
    }

    private static bool IsRestartedPod(StoreChange change) =>
        change is { Type: "MODIFIED", Resource: { Group: "", Kind: "Pod" } } && !Meta.IsDeleting(change.Object) && KubeletStatus.NeedsRestart(change.Object);

    /// <summary>
    /// A container's image changed in place (<c>kubectl set image pod/...</c>): like a kubelet, restart it (a new
    /// containerID, restartCount + 1, the old one in lastState), not ready until it has started again.
    /// </summary>
    private void RestartPod(StoreChange change, DateTimeOffset changedAt)
    {
        var pods = store.Registry.Find("", "v1", "pods")!;
        var ns = Meta.Namespace(change.Object);
        var name = Meta.Name(change.Object);
        var pod = store.TryGet(pods, ns, name);
        if (pod is null || Meta.Uid(pod) != Meta.Uid(change.Object) || Meta.IsDeleting(pod) || !KubeletStatus.NeedsRestart(pod))
        {
            return;
        }

        var status = KubeletStatus.Running(pod, ready: false, options.TimeProvider.GetUtcNow());
        store.Update(pods, ns, name, new JsonObject { ["metadata"] = new JsonObject { ["name"] = name }, ["status"] = status }, statusOnly: true, dryRun: false);
        StartAfterDelay(new PodStarted(ns, name, Meta.Uid(pod)), changedAt);
    }

    private void MarkStandalonePodRunning(PodStarted started)
    {
        _podTimers.Remove($"{started.Namespace}/{started.Name}", out var timer);
        timer?.Dispose();
        var pods = store.Registry.Find("", "v1", "pods")!;
        var pod = store.TryGet(pods, started.Namespace, started.Name);
        if (pod is null || Meta.Uid(pod) != started.Uid || Meta.IsDeleting(pod))
        {
            return;
        }

        var now = options.TimeProvider.GetUtcNow();
        pod["status"] ??= new JsonObject();
        pod["status"]!["startTime"] ??= Meta.Timestamp(now);
        var status = options.Images?.FirstMissing(pod["spec"] as JsonObject, store) is { } missing
            ? ImagePullStatus.Waiting(pod, missing, now)
            : KubeletStatus.Running(pod, ready: true, now);
        ImagePullStatus.RecordTransition(store, pod, status, now);
        var body = new JsonObject { ["metadata"] = new JsonObject { ["name"] = started.Name }, ["status"] = status };
        store.Update(pods, started.Namespace, started.Name, body, statusOnly: true, dryRun: false);
    }

    private void DisposePodTimers()
    {
        foreach (var timer in _podTimers.Values)
        {
            timer.Dispose();
        }

        _podTimers.Clear();
    }

    private sealed record PodStarted(string? Namespace, string Name, string? Uid);
}
