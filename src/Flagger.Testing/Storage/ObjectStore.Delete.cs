using System.Text.Json.Nodes;
using Flagger.Testing.Api;

namespace Flagger.Testing.Storage;

/// <summary>How a delete treats dependents (<c>DeleteOptions.propagationPolicy</c>).</summary>
internal enum Propagation
{
    Background,
    Foreground,
    Orphan,
}

internal sealed partial class ObjectStore
{
    /// <summary>
    /// Deletes an object, or only marks it (deletionTimestamp) while finalizers remain. Dependents found through
    /// ownerReferences are deleted at once (Background/Foreground) or released (Orphan).
    /// </summary>
    public JsonObject Delete(ResourceType type, string? ns, string name, Propagation propagation, string? uid, string? resourceVersion, bool dryRun)
    {
        lock (_gate)
        {
            var current = Find(type, ns, name);
            if ((uid is not null && uid != Meta.Uid(current)) || (resourceVersion is not null && resourceVersion != Meta.ResourceVersion(current)))
            {
                throw ApiException.Conflict(type.Plural, type.Group, name);
            }

            if (dryRun)
            {
                return (JsonObject)current.DeepClone();
            }

            return DeleteLocked(type, ns, current, propagation);
        }
    }

    public List<JsonObject> DeleteCollection(ResourceType type, string? ns, Selector labels, Selector fields, Propagation propagation, bool dryRun)
    {
        lock (_gate)
        {
            var victims = Bucket(type.StorageKey).Values.Where(o => InScope(type, ns, o) && labels.Matches(o) && fields.Matches(o)).ToList();
            return dryRun
                ? [.. victims.Select(v => (JsonObject)v.DeepClone())]
                : [.. victims.Select(v => DeleteLocked(type, Meta.Namespace(v), v, propagation))];
        }
    }

    private JsonObject DeleteLocked(ResourceType type, string? ns, JsonObject current, Propagation propagation)
    {
        var isNamespace = type.Kind == "Namespace" && type.Group.Length == 0;
        if (Meta.Finalizers(current).Count > 0 || isNamespace)
        {
            var marked = current;
            if (!Meta.IsDeleting(current))
            {
                marked = (JsonObject)current.DeepClone();
                Meta.Of(marked)["deletionTimestamp"] = Meta.Timestamp(_time.GetUtcNow());
                Meta.Of(marked)["deletionGracePeriodSeconds"] = 0;
                if (isNamespace)
                {
                    marked["status"] = new JsonObject { ["phase"] = "Terminating" };
                }

                Commit(type, ns, marked, "MODIFIED", current);
            }

            if (isNamespace)
            {
                EmptyNamespace(Meta.Name(current));
                return (JsonObject)(TryFind(type, null, Meta.Name(current)) ?? marked).DeepClone();
            }

            return (JsonObject)marked.DeepClone();
        }

        Remove(type, ns, current, propagation);
        return (JsonObject)current.DeepClone();
    }

    private void Remove(ResourceType type, string? ns, JsonObject obj, Propagation propagation = Propagation.Background)
    {
        var key = Key(type, ns, Meta.Name(obj));
        if (!Bucket(type.StorageKey).Remove(key, out var stored))
        {
            return;
        }

        IndexOwners(type.StorageKey, key, stored, null);

        _resourceVersion++;
        var gone = (JsonObject)obj.DeepClone();
        Meta.Of(gone)["resourceVersion"] = _resourceVersion.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Publish(type, "DELETED", gone, obj);
        _admission.AfterCommit(type, "DELETED", gone);
        CollectDependents(Meta.Uid(obj), propagation);
        if (type.Namespaced && Meta.Namespace(obj) is { } owningNs)
        {
            FinishNamespaceIfEmpty(owningNs);
        }
    }

    private void CollectDependents(string? ownerUid, Propagation propagation)
    {
        if (ownerUid is null)
        {
            return;
        }

        // Found through the owner index (ObjectStore.Owners.cs), not by scanning every object in the cluster.
        foreach (var (type, key) in DependentsOf(ownerUid))
        {
            // Read again: an earlier step of this cascade may have collected or changed it.
            if (!Bucket(type.StorageKey).TryGetValue(key, out var dependent)
                || OwnerReferences(dependent) is not { } refs || !refs.Any(r => Meta.Str(r?["uid"]) == ownerUid))
            {
                continue;
            }

            if (propagation == Propagation.Orphan)
            {
                var released = (JsonObject)dependent.DeepClone();
                var remaining = new JsonArray([.. refs.Where(r => Meta.Str(r?["uid"]) != ownerUid).Select(r => r!.DeepClone())]);
                Meta.Of(released)["ownerReferences"] = remaining;
                Commit(type, Meta.Namespace(dependent), released, "MODIFIED", dependent);
            }
            else
            {
                DeleteLocked(type, Meta.Namespace(dependent), dependent, Propagation.Background);
            }
        }
    }

    private void EmptyNamespace(string ns)
    {
        foreach (var (storageKey, bucket) in _objects.ToList())
        {
            var type = TypeFor(storageKey);
            if (type is null || !type.Namespaced)
            {
                continue;
            }

            foreach (var obj in bucket.Values.Where(o => Meta.Namespace(o) == ns).ToList())
            {
                if (Bucket(storageKey).ContainsKey(Key(type, ns, Meta.Name(obj))))
                {
                    DeleteLocked(type, ns, Bucket(storageKey)[Key(type, ns, Meta.Name(obj))], Propagation.Background);
                }
            }
        }

        FinishNamespaceIfEmpty(ns);
    }

    private void FinishNamespaceIfEmpty(string ns)
    {
        var namespaces = Bucket("namespaces");
        if (!namespaces.TryGetValue(ns, out var nsObj) || !Meta.IsDeleting(nsObj))
        {
            return;
        }

        foreach (var (storageKey, bucket) in _objects)
        {
            if (TypeFor(storageKey) is { Namespaced: true } && bucket.Values.Any(o => Meta.Namespace(o) == ns))
            {
                return;
            }
        }

        Remove(Registry.Find("", "v1", "namespaces")!, null, nsObj);
    }

    private JsonObject? TryFind(ResourceType type, string? ns, string name) =>
        Bucket(type.StorageKey).TryGetValue(Key(type, ns, name), out var obj) ? obj : null;

    // Any served version will do: storage is shared between versions of a resource.
    private ResourceType? TypeFor(string storageKey) =>
        Registry.All.FirstOrDefault(t => t.StorageKey == storageKey && t.Preferred) ?? Registry.All.FirstOrDefault(t => t.StorageKey == storageKey);
}
