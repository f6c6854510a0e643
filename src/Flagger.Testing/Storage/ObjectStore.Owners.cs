using System.Text.Json.Nodes;

namespace Flagger.Testing.Storage;

/// <summary>
/// Which stored objects name which owner, so garbage collection finds a deleted object's dependents by uid.
/// Scanning every object of every resource on each delete made a delete cost O(objects in the cluster): at 3,000
/// canaries (~60,000 objects, Events included) the simulated controller-manager, which deletes a pod whenever a
/// canary target is scaled to zero, held the store lock for tens of milliseconds per delete and fell minutes behind.
/// </summary>
internal sealed partial class ObjectStore
{
    private readonly Dictionary<string, HashSet<(string StorageKey, string Key)>> _dependents = new(StringComparer.Ordinal);

    /// <summary>Moves the object at <paramref name="key"/> from the owners <paramref name="before"/> names to those <paramref name="after"/> names.</summary>
    private void IndexOwners(string storageKey, string key, JsonObject? before, JsonObject? after)
    {
        var was = OwnerReferences(before);
        var now = OwnerReferences(after);
        if (ReferenceEquals(was, now))
        {
            return; // the same stored array (both null, or a status write that kept metadata): nothing moved
        }

        foreach (var uid in OwnerUids(was))
        {
            if (_dependents.TryGetValue(uid, out var set) && set.Remove((storageKey, key)) && set.Count == 0)
            {
                _dependents.Remove(uid);
            }
        }

        foreach (var uid in OwnerUids(now))
        {
            if (!_dependents.TryGetValue(uid, out var set))
            {
                _dependents[uid] = set = [];
            }

            set.Add((storageKey, key));
        }
    }

    /// <summary>Where the objects that name <paramref name="ownerUid"/> are stored: by resource in storage order, then by key.</summary>
    private List<(ResourceType Type, string Key)> DependentsOf(string ownerUid)
    {
        var found = new List<(ResourceType, string)>();
        if (!_dependents.TryGetValue(ownerUid, out var set))
        {
            return found;
        }

        var byResource = set.ToLookup(d => d.StorageKey, d => d.Key, StringComparer.Ordinal);
        foreach (var storageKey in _objects.Keys)
        {
            if (byResource.Contains(storageKey) && TypeFor(storageKey) is { } type)
            {
                found.AddRange(byResource[storageKey].Order(StringComparer.Ordinal).Select(key => (type, key)));
            }
        }

        return found;
    }

    private static JsonArray? OwnerReferences(JsonObject? obj) => obj?["metadata"]?["ownerReferences"] as JsonArray;

    private static IEnumerable<string> OwnerUids(JsonArray? refs) =>
        refs is null ? [] : refs.Select(r => Meta.Str(r?["uid"])).OfType<string>();
}
