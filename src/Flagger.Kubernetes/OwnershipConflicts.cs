using System.Collections.Concurrent;
using Flagger.Model;
using Flagger.Store;
using k8s.Models;

namespace Flagger.Kubernetes;

/// <summary>
/// Objects a canary would take over (<c>&lt;target&gt;-primary</c> Deployments and DaemonSets, <c>&lt;config&gt;-primary</c>
/// ConfigMaps and Secrets) that another controller owns. The canary refuses them: it neither overwrites nor adopts
/// them, since an ownerReference to the Canary would have garbage collection delete them with it. An object with no
/// controller is adopted as before. Each refusal is an <c>Ownership=False</c> condition on the Canary (kept by every
/// status write while it lasts, removed when it ends) and, through the failing tick, a Warning event.
/// </summary>
internal sealed class OwnershipConflicts
{
    /// <summary>The condition's type.</summary>
    public const string ConditionType = "Ownership";

    /// <summary>The condition's reason.</summary>
    public const string Reason = "OwnedByAnotherController";

    private readonly ConcurrentDictionary<(string Namespace, string Canary, string Kind, string Name), (string Message, DateTimeOffset Since)> conflicts = new();

    /// <summary>
    /// Refuses <paramref name="existing"/> when another controller owns it: records the conflict, writes the condition
    /// through <paramref name="store"/>, and throws with a message naming the object and its owner. An object the
    /// canary may take clears an earlier conflict on it.
    /// </summary>
    public async Task CheckAsync(Canary canary, string kind, string name, V1ObjectMeta? existing, ICanaryStore? store, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var key = (canary.Namespace, canary.Name, kind, name);
        var owner = existing?.OwnerReferences?.FirstOrDefault(o => o.Controller == true);
        if (owner is null || CanaryOwnership.Refers(owner, canary))
        {
            if (conflicts.IsEmpty || !conflicts.TryRemove(key, out _))
            {
                return;
            }

            await WriteAsync(canary, store, cancellationToken).ConfigureAwait(false);
            return;
        }

        var message = $"{kind} {name}.{canary.Namespace} is controlled by {owner.Kind} {owner.Name} (uid {owner.Uid}), not by canary {canary.Id}: "
            + "refusing to adopt it; rename it, or remove its controller ownerReference to let the canary take it over";
        conflicts.AddOrUpdate(key, (message, now), (_, old) => old.Message == message ? old : (message, now));
        await WriteAsync(canary, store, cancellationToken).ConfigureAwait(false);
        throw new ForeignOwnerException(message);
    }

    /// <summary>The status with the canary's <c>Ownership</c> condition as the recorded conflicts say (set, updated or removed).</summary>
    public CanaryStatus Apply(string @namespace, string name, CanaryStatus status)
    {
        var current = status.Conditions?.FirstOrDefault(c => c.Type == ConditionType);
        if (conflicts.IsEmpty && current is null)
        {
            return status;
        }

        var mine = conflicts.Where(kv => kv.Key.Namespace == @namespace && kv.Key.Canary == name).OrderBy(kv => kv.Key.Kind, StringComparer.Ordinal).ThenBy(kv => kv.Key.Name, StringComparer.Ordinal).ToList();
        if (mine.Count == 0)
        {
            return current is null ? status : status with { Conditions = [.. status.Conditions!.Where(c => c.Type != ConditionType)] };
        }

        var message = string.Join("; ", mine.Select(kv => kv.Value.Message));
        if (current?.Message == message)
        {
            return status;
        }

        var since = mine.Min(kv => kv.Value.Since);
        var condition = new CanaryCondition
        {
            Type = ConditionType,
            Status = "False",
            Reason = Reason,
            Message = message,
            LastUpdateTime = since,
            LastTransitionTime = current?.LastTransitionTime ?? since,
        };
        return status with { Conditions = [.. (status.Conditions ?? []).Where(c => c.Type != ConditionType), condition] };
    }

    // The store applies the conflicts to every status it writes; this write is for ticks that write none.
    private async Task WriteAsync(Canary canary, ICanaryStore? store, CancellationToken ct)
    {
        if (store is null)
        {
            return;
        }

        var latest = await store.GetCanaryAsync(canary.Namespace, canary.Name, ct).ConfigureAwait(false) ?? canary;
        var status = latest.Status ?? new CanaryStatus();
        if (!ReferenceEquals(Apply(canary.Namespace, canary.Name, status), status))
        {
            await store.UpdateStatusAsync(latest, status, ct).ConfigureAwait(false);
        }
    }
}

/// <summary>An object the canary would take over is controlled by someone else.</summary>
internal sealed class ForeignOwnerException(string message) : InvalidOperationException(message);
