using System.Globalization;
using System.Text.Json.Nodes;
using Flagger.Testing.Api;

namespace Flagger.Testing.Storage;

/// <summary>
/// All objects of the embedded cluster, with kube-apiserver's write semantics: one global monotonic
/// resourceVersion, generation on spec changes, optimistic concurrency, status subresource, finalizers and
/// owner-reference garbage collection. Stored objects are never mutated in place, so watch events can share them.
/// </summary>
internal sealed partial class ObjectStore
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, SortedDictionary<string, JsonObject>> _objects = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly Admission _admission;
    private long _resourceVersion = 1;

    public ObjectStore(ResourceRegistry registry, TimeProvider time, int historyLimit)
    {
        Registry = registry;
        _time = time;
        _historyLimit = historyLimit;
        _admission = new Admission(this, registry, time);
    }

    public ResourceRegistry Registry { get; }

    public TimeProvider Time => _time;

    public long CurrentResourceVersion
    {
        get
        {
            lock (_gate)
            {
                return _resourceVersion;
            }
        }
    }

    public JsonObject Get(ResourceType type, string? ns, string name)
    {
        lock (_gate)
        {
            return (JsonObject)Find(type, ns, name).DeepClone();
        }
    }

    public JsonObject? TryGet(ResourceType type, string? ns, string name)
    {
        lock (_gate)
        {
            return Bucket(type.StorageKey).TryGetValue(Key(type, ns, name), out var obj) ? (JsonObject)obj.DeepClone() : null;
        }
    }

    public (List<JsonObject> Items, long ResourceVersion) List(ResourceType type, string? ns, Selector labels, Selector fields)
    {
        lock (_gate)
        {
            var items = Bucket(type.StorageKey).Values
                .Where(o => InScope(type, ns, o) && labels.Matches(o) && fields.Matches(o))
                .Select(o => (JsonObject)o.DeepClone())
                .ToList();
            return (items, _resourceVersion);
        }
    }

    /// <summary>
    /// Copies of the <paramref name="type"/> objects whose ownerReferences name <paramref name="ownerUid"/>, in key
    /// order. Found through the owner index: the pod controller asks this on every workload change, and scanning
    /// (let alone copying) every pod of the namespace each time made settling N canaries quadratic.
    /// </summary>
    public List<JsonObject> OwnedBy(ResourceType type, string? ownerUid)
    {
        lock (_gate)
        {
            var bucket = Bucket(type.StorageKey);
            return ownerUid is null
                ? []
                : [.. DependentsOf(ownerUid).Where(d => d.Type.StorageKey == type.StorageKey && bucket.ContainsKey(d.Key)).Select(d => (JsonObject)bucket[d.Key].DeepClone())];
        }
    }

    public JsonObject Create(ResourceType type, string? ns, JsonObject body, bool dryRun)
    {
        lock (_gate)
        {
            var obj = (JsonObject)body.DeepClone();
            obj["apiVersion"] = type.ApiVersion;
            obj["kind"] = type.Kind;
            var meta = Meta.Of(obj);
            if (Meta.Name(obj).Length == 0 && Meta.Str(meta["generateName"]) is { Length: > 0 } prefix)
            {
                meta["name"] = prefix + RandomSuffix();
            }

            CheckNamespace(type, ns, obj, creating: true);
            var name = Meta.Name(obj);
            if (Bucket(type.StorageKey).ContainsKey(Key(type, ns, name)))
            {
                throw ApiException.AlreadyExists(type.Plural, type.Group, name);
            }

            var now = _time.GetUtcNow();
            meta["uid"] = Guid.NewGuid().ToString();
            meta["creationTimestamp"] = Meta.Timestamp(now);
            meta.Remove("deletionTimestamp");
            meta.Remove("deletionGracePeriodSeconds");
            meta.Remove("resourceVersion");
            if (type.HasStatus || type.IsCustom)
            {
                meta["generation"] = 1;
            }

            if (type.HasStatus && type.Kind is not ("Namespace" or "Pod" or "Node" or "Service" or "Event"))
            {
                // kube-apiserver drops status on create when status is a subresource.
                obj.Remove("status");
            }

            _admission.Admit(type, obj, null);
            if (dryRun)
            {
                return obj;
            }

            Commit(type, ns, obj, "ADDED", previous: null);
            return (JsonObject)obj.DeepClone();
        }
    }

    /// <summary>PUT, or PUT on <c>/status</c> when <paramref name="statusOnly"/>.</summary>
    public JsonObject Update(ResourceType type, string? ns, string name, JsonObject body, bool statusOnly, bool dryRun)
    {
        lock (_gate)
        {
            var current = Find(type, ns, name);
            var wanted = Meta.ResourceVersion(body);
            if (string.IsNullOrEmpty(wanted) && type.IsCustom)
            {
                // Custom resources, unlike most built-ins, do not allow unconditional updates.
                throw ApiException.Invalid(type.Kind, type.Group, name, [("metadata.resourceVersion", "Invalid value: 0x0: must be specified for an update")]);
            }

            if (!string.IsNullOrEmpty(wanted) && wanted != Meta.ResourceVersion(current))
            {
                throw ApiException.Conflict(type.Plural, type.Group, name);
            }

            if (Meta.Name(body) is { Length: > 0 } bodyName && bodyName != name)
            {
                throw ApiException.BadRequest($"the name of the object ({bodyName}) does not match the name on the URL ({name})");
            }

            return Replace(type, ns, current, body, statusOnly, dryRun);
        }
    }

    /// <summary>Applies a patch function to the current object atomically (PATCH, and PATCH on <c>/status</c>).</summary>
    public JsonObject Patch(ResourceType type, string? ns, string name, Func<JsonObject, JsonObject> patch, bool statusOnly, bool dryRun)
    {
        lock (_gate)
        {
            var current = Find(type, ns, name);
            var patched = patch((JsonObject)current.DeepClone());
            if (Meta.ResourceVersion(patched) is { Length: > 0 } rv && rv != Meta.ResourceVersion(current))
            {
                throw ApiException.Conflict(type.Plural, type.Group, name);
            }

            return Replace(type, ns, current, patched, statusOnly, dryRun);
        }
    }

    private JsonObject Replace(ResourceType type, string? ns, JsonObject current, JsonObject body, bool statusOnly, bool dryRun)
    {
        JsonObject next;
        if (statusOnly)
        {
            next = (JsonObject)current.DeepClone();
            next["status"] = body["status"]?.DeepClone();
            if (next["status"] is null)
            {
                next.Remove("status");
            }
        }
        else
        {
            next = (JsonObject)body.DeepClone();
            if (type.HasStatus)
            {
                next["status"] = current["status"]?.DeepClone();
                if (next["status"] is null)
                {
                    next.Remove("status");
                }
            }
        }

        next["apiVersion"] = type.ApiVersion;
        next["kind"] = type.Kind;
        var meta = Meta.Of(next);
        var old = Meta.Of(current);
        foreach (var field in new[] { "name", "namespace", "uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation" })
        {
            meta[field] = old[field]?.DeepClone();
            if (meta[field] is null)
            {
                meta.Remove(field);
            }
        }

        meta["resourceVersion"] = old["resourceVersion"]?.DeepClone();
        if (Meta.IsDeleting(current))
        {
            // No new finalizers may be added once deletion started; removing the last one completes it.
            var allowed = Meta.Finalizers(current);
            var kept = Meta.Finalizers(next).Where(allowed.Contains).ToList();
            meta["finalizers"] = new JsonArray([.. kept.Select(f => (JsonNode)f)]);
        }

        if (!statusOnly)
        {
            _admission.Admit(type, next, current);
        }

        if (!JsonNode.DeepEquals(Meta.SpecPart(next, type.HasStatus), Meta.SpecPart(current, type.HasStatus)) && meta["generation"] is not null)
        {
            meta["generation"] = Meta.Generation(current) + 1;
        }

        if (Meta.SameIgnoringVersion(next, current))
        {
            // A no-op write keeps the resourceVersion and emits no watch event, as the real server does.
            return (JsonObject)current.DeepClone();
        }

        if (dryRun)
        {
            return next;
        }

        if (Meta.IsDeleting(next) && Meta.Finalizers(next).Count == 0)
        {
            Remove(type, ns, next);
            return (JsonObject)next.DeepClone();
        }

        Commit(type, ns, next, "MODIFIED", current);
        return (JsonObject)next.DeepClone();
    }

    private void Commit(ResourceType type, string? ns, JsonObject obj, string eventType, JsonObject? previous)
    {
        _resourceVersion++;
        Meta.Of(obj)["resourceVersion"] = _resourceVersion.ToString(CultureInfo.InvariantCulture);
        var bucket = Bucket(type.StorageKey);
        var key = Key(type, ns, Meta.Name(obj));
        IndexOwners(type.StorageKey, key, bucket.GetValueOrDefault(key), obj);
        bucket[key] = obj;
        Publish(type, eventType, obj, previous);
        _admission.AfterCommit(type, eventType, obj);
    }

    private JsonObject Find(ResourceType type, string? ns, string name)
    {
        if (!Bucket(type.StorageKey).TryGetValue(Key(type, ns, name), out var obj))
        {
            throw ApiException.NotFound(type.Plural, type.Group, name);
        }

        return obj;
    }

    private void CheckNamespace(ResourceType type, string? ns, JsonObject obj, bool creating)
    {
        var meta = Meta.Of(obj);
        if (!type.Namespaced)
        {
            meta.Remove("namespace");
            return;
        }

        var declared = Meta.Namespace(obj);
        if (!string.IsNullOrEmpty(declared) && ns is not null && declared != ns)
        {
            throw ApiException.BadRequest("the namespace of the provided object does not match the namespace sent on the request");
        }

        ns ??= declared ?? "default";
        meta["namespace"] = ns;
        var namespaces = Bucket("namespaces");
        if (!namespaces.TryGetValue(ns, out var nsObj))
        {
            throw ApiException.NotFound("namespaces", "", ns);
        }

        if (creating && Meta.IsDeleting(nsObj))
        {
            throw new ApiException(403, "Forbidden",
                $"{type.Plural} \"{Meta.Name(obj)}\" is forbidden: unable to create new content in namespace {ns} because it is being terminated");
        }
    }

    private SortedDictionary<string, JsonObject> Bucket(string storageKey)
    {
        if (!_objects.TryGetValue(storageKey, out var bucket))
        {
            bucket = new SortedDictionary<string, JsonObject>(StringComparer.Ordinal);
            _objects[storageKey] = bucket;
        }

        return bucket;
    }

    private static string Key(ResourceType type, string? ns, string name) => type.Namespaced ? $"{ns}/{name}" : name;

    private static bool InScope(ResourceType type, string? ns, JsonObject obj) =>
        !type.Namespaced || ns is null || Meta.Namespace(obj) == ns;

    private static string RandomSuffix()
    {
        const string alphabet = "bcdfghjklmnpqrstvwxz2456789";
        return string.Concat(Enumerable.Range(0, 5).Select(_ => alphabet[Random.Shared.Next(alphabet.Length)]));
    }
}
