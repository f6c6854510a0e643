using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Flagger.Testing.Api;

namespace Flagger.Testing.Storage;

/// <summary>
/// Structural-schema checks for custom resources, the subset kube-apiserver applies that clients notice:
/// types, required, enum, minimum/maximum, pattern, and pruning of unknown fields (an error instead under
/// <c>fieldValidation=Strict</c>, which kubectl sends).
/// </summary>
internal static class SchemaValidator
{
    [ThreadStatic]
    private static bool t_strict;

    /// <summary>Set by the request handler for the duration of one (synchronous) store call.</summary>
    public static bool Strict { get => t_strict; set => t_strict = value; }

    public static List<(string Field, string Message)> Validate(JsonObject schema, JsonObject obj)
    {
        var problems = new List<(string, string)>();
        var unknown = new List<string>();
        foreach (var (key, value) in obj.ToList())
        {
            if (key is "apiVersion" or "kind" or "metadata")
            {
                continue;
            }

            if (schema["properties"]?[key] is JsonObject propertySchema)
            {
                Check(propertySchema, value, key, problems, unknown, obj, key);
            }
            else if (!PreservesUnknown(schema))
            {
                unknown.Add(key);
                obj.Remove(key);
            }
        }

        RequireFields(schema, obj, "", problems);
        if (unknown.Count > 0 && Strict)
        {
            throw ApiException.BadRequest($"strict decoding error: {string.Join(", ", unknown.Select(u => $"unknown field \"{u}\""))}");
        }

        return problems;
    }

    private static void Check(JsonObject schema, JsonNode? value, string path, List<(string, string)> problems, List<string> unknown, JsonNode parent, object slot)
    {
        if (value is null)
        {
            if (schema["nullable"]?.GetValue<bool>() != true)
            {
                Detach(parent, slot);
            }

            return;
        }

        var type = Meta.Str(schema["type"]);
        var intOrString = schema["x-kubernetes-int-or-string"]?.GetValue<bool>() == true;
        var kind = value.GetValueKind();
        if (intOrString)
        {
            if (kind is not (JsonValueKind.String or JsonValueKind.Number))
            {
                problems.Add((path, $"Invalid value: must be an integer or a string"));
            }

            return;
        }

        if (type is not null && !TypeMatches(type, value, kind))
        {
            problems.Add((path, $"Invalid value: \"{KindName(kind)}\": {path} in body must be of type {type}: \"{KindName(kind)}\""));
            return;
        }

        if (schema["enum"] is JsonArray allowed && !allowed.Any(a => JsonNode.DeepEquals(a, value)))
        {
            problems.Add((path, $"Unsupported value: {value.ToJsonString()}: supported values: {string.Join(", ", allowed.Select(a => a!.ToJsonString()))}"));
        }

        if (kind == JsonValueKind.Number)
        {
            var number = Number(value);
            if (schema["minimum"] is JsonValue min && number < Number(min))
            {
                problems.Add((path, $"Invalid value: {number.ToString(CultureInfo.InvariantCulture)}: {path} in body should be greater than or equal to {min}"));
            }

            if (schema["maximum"] is JsonValue max && number > Number(max))
            {
                problems.Add((path, $"Invalid value: {number.ToString(CultureInfo.InvariantCulture)}: {path} in body should be less than or equal to {max}"));
            }
        }

        if (kind == JsonValueKind.String && Meta.Str(schema["pattern"]) is { } pattern
            && !Regex.IsMatch(value.GetValue<string>(), pattern, RegexOptions.None, TimeSpan.FromSeconds(1)))
        {
            problems.Add((path, $"Invalid value: \"{value}\": {path} in body should match '{pattern}'"));
        }

        if (value is JsonObject o)
        {
            CheckObject(schema, o, path, problems, unknown);
        }
        else if (value is JsonArray a && schema["items"] is JsonObject items)
        {
            for (var i = 0; i < a.Count; i++)
            {
                Check(items, a[i], $"{path}[{i}]", problems, unknown, a, i);
            }
        }
    }

    private static void CheckObject(JsonObject schema, JsonObject o, string path, List<(string, string)> problems, List<string> unknown)
    {
        var properties = schema["properties"] as JsonObject;
        foreach (var (key, child) in o.ToList())
        {
            var childPath = $"{path}.{key}";
            if (properties?[key] is JsonObject childSchema)
            {
                Check(childSchema, child, childPath, problems, unknown, o, key);
            }
            else if (schema["additionalProperties"] is JsonObject additional)
            {
                Check(additional, child, childPath, problems, unknown, o, key);
            }
            else if (properties is not null && !PreservesUnknown(schema) && schema["additionalProperties"]?.GetValueKind() != JsonValueKind.True)
            {
                unknown.Add(childPath);
                o.Remove(key);
            }
        }

        RequireFields(schema, o, path, problems);
    }

    private static void RequireFields(JsonObject schema, JsonObject o, string path, List<(string, string)> problems)
    {
        foreach (var required in (schema["required"] as JsonArray ?? []).Select(Meta.Str).OfType<string>())
        {
            if (o[required] is null)
            {
                problems.Add((path.Length == 0 ? required : $"{path}.{required}", "Required value"));
            }
        }
    }

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

    private static void Detach(JsonNode parent, object slot)
    {
        if (parent is JsonObject o && slot is string key)
        {
            o.Remove(key);
        }
    }
}
