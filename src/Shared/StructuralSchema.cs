using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Flagger.Schemas;

/// <summary>
/// The structural-schema checks kube-apiserver applies to a custom resource, in its words: types, required fields,
/// enums, minimum/maximum, patterns, and fields the schema does not know. Shared as source by the embedded API
/// server (Flagger.Testing, which prunes unknown fields as the API server does) and <c>flagger validate</c>
/// (Flagger.Cli, which reports them, as kubectl's strict field validation does).
/// </summary>
internal static class StructuralSchema
{
    /// <summary>Every problem the API server would refuse <paramref name="obj"/> for, as (field, message).</summary>
    /// <param name="schema">The version's <c>openAPIV3Schema</c>.</param>
    /// <param name="obj">The object; with <paramref name="prune"/> its unknown fields and disallowed nulls are removed.</param>
    /// <param name="prune">Remove what the API server drops, instead of only listing it.</param>
    /// <param name="unknown">The paths of fields the schema does not know, in document order.</param>
    public static List<(string Field, string Message)> Check(JsonObject schema, JsonObject obj, bool prune, out List<string> unknown)
    {
        var walk = new Walk(prune);
        foreach (var (key, value) in obj.ToList())
        {
            if (key is "apiVersion" or "kind" or "metadata")
            {
                continue;
            }

            if (schema["properties"]?[key] is JsonObject property)
            {
                walk.Value(property, value, key, obj, key);
            }
            else if (!PreservesUnknown(schema))
            {
                walk.Unknown(obj, key, key);
            }
        }

        walk.RequireFields(schema, obj, string.Empty);
        unknown = walk.UnknownFields;
        return walk.Problems;
    }

    private static string? Text(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    private static double Number(JsonNode node) => double.Parse(node.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture);

    private static bool PreservesUnknown(JsonObject schema) => schema["x-kubernetes-preserve-unknown-fields"]?.GetValue<bool>() == true;

    private static bool TypeMatches(string type, JsonNode value, JsonValueKind kind) => type switch
    {
        "object" => value is JsonObject,
        "array" => value is JsonArray,
        "string" => kind == JsonValueKind.String,
        "boolean" => kind is JsonValueKind.True or JsonValueKind.False,
        "integer" => kind == JsonValueKind.Number && !value.ToJsonString().Contains('.', StringComparison.Ordinal),
        "number" => kind == JsonValueKind.Number,
        _ => true,
    };

    private static string KindName(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "object",
        JsonValueKind.Array => "array",
        JsonValueKind.String => "string",
        JsonValueKind.Number => "number",
        JsonValueKind.True or JsonValueKind.False => "boolean",
        _ => "null",
    };

    private sealed class Walk(bool prune)
    {
        public List<(string Field, string Message)> Problems { get; } = [];

        public List<string> UnknownFields { get; } = [];

        public void Unknown(JsonObject parent, string key, string path)
        {
            UnknownFields.Add(path);
            if (prune)
            {
                parent.Remove(key);
            }
        }

        public void Value(JsonObject schema, JsonNode? value, string path, JsonNode parent, object slot)
        {
            if (value is null)
            {
                // The API server drops a null the schema does not allow; nothing to refuse.
                if (prune && schema["nullable"]?.GetValue<bool>() != true && parent is JsonObject o && slot is string key)
                {
                    o.Remove(key);
                }

                return;
            }

            var kind = value.GetValueKind();
            if (schema["x-kubernetes-int-or-string"]?.GetValue<bool>() == true)
            {
                if (kind is not (JsonValueKind.String or JsonValueKind.Number))
                {
                    Problems.Add((path, "Invalid value: must be an integer or a string"));
                }

                return;
            }

            if (Text(schema["type"]) is { } type && !TypeMatches(type, value, kind))
            {
                Problems.Add((path, $"Invalid value: \"{KindName(kind)}\": {path} in body must be of type {type}: \"{KindName(kind)}\""));
                return;
            }

            if (schema["enum"] is JsonArray allowed && !allowed.Any(a => JsonNode.DeepEquals(a, value)))
            {
                Problems.Add((path, $"Unsupported value: {value.ToJsonString()}: supported values: {string.Join(", ", allowed.Select(a => a!.ToJsonString()))}"));
            }

            if (kind == JsonValueKind.Number)
            {
                var number = Number(value);
                if (schema["minimum"] is JsonValue min && number < Number(min))
                {
                    Problems.Add((path, $"Invalid value: {number.ToString(CultureInfo.InvariantCulture)}: {path} in body should be greater than or equal to {min}"));
                }

                if (schema["maximum"] is JsonValue max && number > Number(max))
                {
                    Problems.Add((path, $"Invalid value: {number.ToString(CultureInfo.InvariantCulture)}: {path} in body should be less than or equal to {max}"));
                }
            }

            if (kind == JsonValueKind.String && Text(schema["pattern"]) is { } pattern
                && !Regex.IsMatch(value.GetValue<string>(), pattern, RegexOptions.None, TimeSpan.FromSeconds(1)))
            {
                Problems.Add((path, $"Invalid value: \"{value}\": {path} in body should match '{pattern}'"));
            }

            if (value is JsonObject obj)
            {
                Object(schema, obj, path);
            }
            else if (value is JsonArray array && schema["items"] is JsonObject items)
            {
                for (var i = 0; i < array.Count; i++)
                {
                    Value(items, array[i], $"{path}[{i}]", array, i);
                }
            }
        }

        public void RequireFields(JsonObject schema, JsonObject obj, string path)
        {
            foreach (var required in (schema["required"] as JsonArray ?? []).Select(Text).OfType<string>())
            {
                if (obj[required] is null)
                {
                    Problems.Add((path.Length == 0 ? required : $"{path}.{required}", "Required value"));
                }
            }
        }

        private void Object(JsonObject schema, JsonObject obj, string path)
        {
            var properties = schema["properties"] as JsonObject;
            foreach (var (key, child) in obj.ToList())
            {
                var childPath = $"{path}.{key}";
                if (properties?[key] is JsonObject childSchema)
                {
                    Value(childSchema, child, childPath, obj, key);
                }
                else if (schema["additionalProperties"] is JsonObject additional)
                {
                    Value(additional, child, childPath, obj, key);
                }
                else if (properties is not null && !PreservesUnknown(schema) && schema["additionalProperties"]?.GetValueKind() != JsonValueKind.True)
                {
                    Unknown(obj, key, childPath);
                }
            }

            RequireFields(schema, obj, path);
        }
    }
}
