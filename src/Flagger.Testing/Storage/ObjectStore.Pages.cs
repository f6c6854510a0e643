using System.Text.Json.Nodes;
using Flagger.Testing.Api;

namespace Flagger.Testing.Storage;

/// <summary>One page of a list: its items, the resourceVersion every page of the list is read at, and where the next starts.</summary>
internal sealed record ListPage(List<JsonObject> Items, long ResourceVersion, string? NextStart, int Remaining);

internal sealed partial class ObjectStore
{
    /// <summary>
    /// A page of at most <paramref name="limit"/> objects in key order, after <paramref name="startAfter"/>, as
    /// the store held them at <paramref name="atVersion"/> (the first page's resourceVersion), as kube-apiserver
    /// serves a continued list from one etcd revision. Objects changed since are read back through the watch
    /// history; a version the history no longer reaches is 410 Expired, as a compacted revision is.
    /// </summary>
    public ListPage ListPage(ResourceType type, string? ns, Selector labels, Selector fields, int limit, string? startAfter, long? atVersion)
    {
        lock (_gate)
        {
            var version = atVersion ?? _resourceVersion;
            if (version < _compactedThrough)
            {
                throw ApiException.Gone("The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.");
            }

            var bucket = Bucket(type.StorageKey);
            IEnumerable<KeyValuePair<string, JsonObject>> entries = bucket;
            if (version < _resourceVersion)
            {
                entries = AsOf(type, bucket, version);
            }

            var page = new List<JsonObject>();
            string? last = null;
            var remaining = 0;
            foreach (var (key, obj) in entries)
            {
                if ((startAfter is not null && string.CompareOrdinal(key, startAfter) <= 0) || !InScope(type, ns, obj) || !labels.Matches(obj) || !fields.Matches(obj))
                {
                    continue;
                }

                if (page.Count < limit)
                {
                    page.Add((JsonObject)obj.DeepClone());
                    last = key;
                }
                else
                {
                    remaining++;
                }
            }

            return new ListPage(page, version, remaining > 0 ? last : null, remaining);
        }
    }

    // The bucket as it was at `version`: for each key changed since, the state before its first later change
    // (absent when that change created it). Costs the changes since `version`, not the bucket's size.
    private SortedDictionary<string, JsonObject> AsOf(ResourceType type, SortedDictionary<string, JsonObject> bucket, long version)
    {
        var before = new Dictionary<string, JsonObject?>(StringComparer.Ordinal);
        for (var node = _history.Last; node is not null && node.Value.Rv > version; node = node.Previous)
        {
            var (_, changed, eventType, obj, previous) = node.Value;
            if (changed.StorageKey == type.StorageKey)
            {
                // Walking backwards, the last write per key is the earliest change after `version`.
                before[Key(changed, Meta.Namespace(obj), Meta.Name(obj))] = eventType == "ADDED" ? null : previous;
            }
        }

        if (before.Count == 0)
        {
            // Other resources changed since, not this one: the bucket is as it was.
            return bucket;
        }

        var snapshot = new SortedDictionary<string, JsonObject>(bucket, StringComparer.Ordinal);
        foreach (var (key, obj) in before)
        {
            if (obj is null)
            {
                snapshot.Remove(key);
            }
            else
            {
                snapshot[key] = obj;
            }
        }

        return snapshot;
    }
}
