using System.Text.Json;
using System.Text.Json.Nodes;

namespace Flagger.Testing.Patching;

/// <summary>
/// Kubernetes strategic merge patch for built-in kinds: lists with a merge key are merged item by item, and the
/// directives kubectl sends (<c>$patch</c>, <c>$retainKeys</c>, <c>$setElementOrder/…</c>,
/// <c>$deleteFromPrimitiveList/…</c>) are honoured. Merge keys come from the field name (and its parent where
/// the same name means two things: container ports merge by containerPort, Service ports by port).
/// </summary>
internal static class StrategicMergePatch
{
    private static readonly HashSet<string> PrimitiveMergeLists = ["finalizers"];

    public static JsonObject Apply(JsonObject target, JsonObject patch) => MergeObject(target, patch, parentField: "");

    private static JsonObject MergeObject(JsonObject target, JsonObject patch, string parentField)
    {
        if (Meta(patch, "$patch") == "replace")
        {
            var replacement = (JsonObject)patch.DeepClone();
            replacement.Remove("$patch");
            return replacement;
        }

        var orders = new Dictionary<string, JsonArray>(StringComparer.Ordinal);
        foreach (var (key, value) in patch)
        {
            if (key.StartsWith("$setElementOrder/", StringComparison.Ordinal) && value is JsonArray order)
            {
                orders[key["$setElementOrder/".Length..]] = order;
                continue;
            }

            if (key.StartsWith("$deleteFromPrimitiveList/", StringComparison.Ordinal) && value is JsonArray doomed)
            {
                var field = key["$deleteFromPrimitiveList/".Length..];
                if (target[field] is JsonArray list)
                {
                    target[field] = new JsonArray([.. list.Where(i => !doomed.Any(d => JsonNode.DeepEquals(d, i))).Select(i => i?.DeepClone())]);
                }

                continue;
            }

            if (key.StartsWith('$'))
            {
                continue;
            }

            if (value is null)
            {
                target.Remove(key);
            }
            else if (value is JsonObject childPatch && Meta(childPatch, "$patch") == "delete")
            {
                target.Remove(key);
            }
            else if (value is JsonObject childObject)
            {
                var merged = MergeObject(target[key] as JsonObject ?? new JsonObject(), childObject, key);
                target[key] = merged.Parent is null ? merged : merged.DeepClone();
            }
            else if (value is JsonArray array)
            {
                target[key] = MergeList(target[key] as JsonArray, array, key, parentField);
            }
            else
            {
                target[key] = value.DeepClone();
            }
        }

        foreach (var (field, order) in orders)
        {
            if (target[field] is JsonArray list)
            {
                target[field] = Reorder(list, order, MergeKey(field, parentField));
            }
        }

        if (patch["$retainKeys"] is JsonArray retain)
        {
            var keep = retain.Select(k => k?.ToString()).ToHashSet();
            foreach (var key in target.Select(p => p.Key).Where(k => !keep.Contains(k)).ToList())
            {
                target.Remove(key);
            }
        }

        return target;
    }

    private static JsonArray MergeList(JsonArray? target, JsonArray patch, string field, string parentField)
    {
        if (patch.OfType<JsonObject>().Any(i => Meta(i, "$patch") == "replace"))
        {
            return new JsonArray([.. patch.Where(i => i is not JsonObject o || Meta(o, "$patch") != "replace").Select(i => i?.DeepClone())]);
        }

        var key = MergeKey(field, parentField);
        if (key is null)
        {
            if (PrimitiveMergeLists.Contains(field) && target is not null)
            {
                var union = new JsonArray([.. target.Select(i => i?.DeepClone())]);
                foreach (var item in patch.Where(p => !target.Any(t => JsonNode.DeepEquals(t, p))))
                {
                    union.Add(item?.DeepClone());
                }

                return union;
            }

            return (JsonArray)patch.DeepClone();
        }

        var result = new JsonArray([.. (target ?? []).Select(i => i?.DeepClone())]);
        foreach (var item in patch.OfType<JsonObject>())
        {
            var id = item[key];
            var existing = result.OfType<JsonObject>().FirstOrDefault(r => JsonNode.DeepEquals(r[key], id));
            if (Meta(item, "$patch") == "delete")
            {
                if (existing is not null)
                {
                    result.Remove(existing);
                }

                continue;
            }

            if (existing is null)
            {
                var added = (JsonObject)item.DeepClone();
                added.Remove("$patch");
                result.Add(MergeObject(new JsonObject(), added, field));
            }
            else
            {
                MergeObject(existing, item, field);
            }
        }

        return result;
    }

    private static JsonArray Reorder(JsonArray list, JsonArray order, string? key)
    {
        int Rank(JsonNode? item)
        {
            var id = key is null ? item : (item as JsonObject)?[key];
            for (var i = 0; i < order.Count; i++)
            {
                var wanted = key is null ? order[i] : (order[i] as JsonObject)?[key];
                if (JsonNode.DeepEquals(wanted, id))
                {
                    return i;
                }
            }

            return int.MaxValue;
        }

        return new JsonArray([.. list.Select((item, index) => (item, index)).OrderBy(p => Rank(p.item)).ThenBy(p => p.index).Select(p => p.item?.DeepClone())]);
    }

    private static string? MergeKey(string field, string parentField) => field switch
    {
        "containers" or "initContainers" or "ephemeralContainers" or "env" or "volumes" or "imagePullSecrets" or "resourceClaims" => "name",
        "volumeMounts" => "mountPath",
        "volumeDevices" => "devicePath",
        "ports" when parentField is "containers" or "initContainers" or "ephemeralContainers" => "containerPort",
        "ports" => "port",
        "conditions" => "type",
        "ownerReferences" => "uid",
        "hostAliases" => "ip",
        _ => null,
    };

    private static string? Meta(JsonObject o, string key) =>
        o[key] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;
}
