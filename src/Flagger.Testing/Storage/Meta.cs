using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Flagger.Testing.Storage;

/// <summary>Small accessors for <c>metadata</c> on JSON objects.</summary>
internal static class Meta
{
    public static JsonObject Of(JsonObject obj)
    {
        if (obj["metadata"] is not JsonObject m)
        {
            m = new JsonObject();
            obj["metadata"] = m;
        }

        return m;
    }

    public static string? Str(JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : node?.ToString();

    public static string Name(JsonObject obj) => Str(obj["metadata"]?["name"]) ?? "";

    public static string? Namespace(JsonObject obj) => Str(obj["metadata"]?["namespace"]);

    public static string? ResourceVersion(JsonObject obj) => Str(obj["metadata"]?["resourceVersion"]);

    public static string? Uid(JsonObject obj) => Str(obj["metadata"]?["uid"]);

    public static long Generation(JsonObject obj) => Long(obj["metadata"]?["generation"]) ?? 0;

    /// <summary>
    /// Reads any JSON integer. <c>TryGetValue&lt;long&gt;</c> alone fails on a value created from an int (and the
    /// reverse), and values here come both from parsed requests and from code.
    /// </summary>
    public static long? Long(JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.Number
        && double.TryParse(v.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d)
            ? (long)d
            : null;

    public static int Int(JsonNode? node, int fallback) => Long(node) is { } l ? (int)l : fallback;

    public static bool IsDeleting(JsonObject obj) => obj["metadata"]?["deletionTimestamp"] is not null;

    public static List<string> Finalizers(JsonObject obj) =>
        obj["metadata"]?["finalizers"] is JsonArray a ? [.. a.Select(Str).OfType<string>()] : [];

    public static string Timestamp(DateTimeOffset at) =>
        at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    public static string MicroTimestamp(DateTimeOffset at) =>
        at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);

    /// <summary>Everything but metadata (and status when it is a subresource): what a generation counts.</summary>
    public static JsonObject SpecPart(JsonObject obj, bool statusIsSubresource)
    {
        var copy = new JsonObject();
        foreach (var (k, v) in obj)
        {
            if (k is "metadata" or "apiVersion" or "kind" || (statusIsSubresource && k == "status"))
            {
                continue;
            }

            copy[k] = v?.DeepClone();
        }

        return copy;
    }

    public static bool SameIgnoringVersion(JsonObject a, JsonObject b)
    {
        var x = (JsonObject)a.DeepClone();
        var y = (JsonObject)b.DeepClone();
        foreach (var o in new[] { x, y })
        {
            o.Remove("apiVersion");
            o.Remove("kind");
            Of(o).Remove("resourceVersion");
            Of(o).Remove("managedFields");
        }

        return JsonNode.DeepEquals(x, y);
    }
}
