using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using k8s;
using k8s.Models;

namespace Flagger.Cli.Validation;

/// <summary>
/// The OpenAPI schemas of the flagger.app CRDs this tool was built with (deploy/crds), and the structural checks
/// kube-apiserver applies with them: types, required fields, enums, minimum/maximum, patterns, and unknown fields
/// (refused, as kubectl's strict field validation does). Messages follow the API server's wording.
/// </summary>
internal sealed class CrdSchemas
{
    private readonly Dictionary<(string Version, string Kind), JsonObject> schemas = [];

    private CrdSchemas()
    {
    }

    public static CrdSchemas Bundled { get; } = Load();

    /// <summary>The schema of a flagger.app kind at an API version, or null when the CRDs serve no such version.</summary>
    public JsonObject? Find(string version, string kind) => schemas.GetValueOrDefault((version, kind));

    public IEnumerable<string> Versions(string kind) => schemas.Keys.Where(k => k.Kind == kind).Select(k => k.Version).Order(StringComparer.Ordinal);

    /// <summary>Every problem an API server would refuse the object for, as (field, message).</summary>
    public static List<(string Field, string Message)> Check(JsonObject schema, JsonObject obj)
    {
        var problems = new List<(string, string)>();
        foreach (var (key, value) in obj)
        {
            if (key is "apiVersion" or "kind" or "metadata")
            {
                continue;
            }

            if (schema["properties"]?[key] is JsonObject property)
            {
                CheckValue(property, value, key, problems);
            }
            else if (!PreservesUnknown(schema))
            {
                problems.Add((key, "unknown field"));
            }
        }

        RequireFields(schema, obj, string.Empty, problems);
        return problems;
    }

    private static CrdSchemas Load()
    {
        var result = new CrdSchemas();
        var assembly = typeof(CrdSchemas).Assembly;
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith("crds/", StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream);
            var crd = KubernetesYaml.Deserialize<V1CustomResourceDefinition>(reader.ReadToEnd());
            foreach (var version in crd.Spec.Versions)
            {
                if (JsonNode.Parse(KubernetesJson.Serialize(version.Schema.OpenAPIV3Schema)) is JsonObject schema)
                {
                    result.schemas[(version.Name, crd.Spec.Names.Kind)] = schema;
                }
            }
        }

        return result;
    }

    private static void CheckValue(JsonObject schema, JsonNode? value, string path, List<(string, string)> problems)
    {
        if (value is null)
        {
            // A null is dropped by the API server unless the schema allows it; nothing to refuse.
            return;
        }

        var kind = value.GetValueKind();
        if (schema["x-kubernetes-int-or-string"]?.GetValue<bool>() == true)
        {
            if (kind is not (JsonValueKind.String or JsonValueKind.Number))
            {
                problems.Add((path, "Invalid value: must be an integer or a string"));
            }

            return;
        }

        var type = (string?)schema["type"];
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

        if (kind == JsonValueKind.String && (string?)schema["pattern"] is { } pattern
            && !Regex.IsMatch(value.GetValue<string>(), pattern, RegexOptions.None, TimeSpan.FromSeconds(1)))
        {
            problems.Add((path, $"Invalid value: \"{value}\": {path} in body should match '{pattern}'"));
        }

        if (value is JsonObject obj)
        {
            CheckObject(schema, obj, path, problems);
        }
        else if (value is JsonArray array && schema["items"] is JsonObject items)
        {
            for (var i = 0; i < array.Count; i++)
            {
                CheckValue(items, array[i], $"{path}[{i}]", problems);
            }
        }
    }

    private static void CheckObject(JsonObject schema, JsonObject obj, string path, List<(string, string)> problems)
    {
        var properties = schema["properties"] as JsonObject;
        foreach (var (key, child) in obj)
        {
            var childPath = $"{path}.{key}";
            if (properties?[key] is JsonObject childSchema)
            {
                CheckValue(childSchema, child, childPath, problems);
            }
            else if (schema["additionalProperties"] is JsonObject additional)
            {
                CheckValue(additional, child, childPath, problems);
            }
            else if (properties is not null && !PreservesUnknown(schema) && schema["additionalProperties"]?.GetValueKind() != JsonValueKind.True)
            {
                problems.Add((childPath, "unknown field"));
            }
        }

        RequireFields(schema, obj, path, problems);
    }

    private static void RequireFields(JsonObject schema, JsonObject obj, string path, List<(string, string)> problems)
    {
        foreach (var required in (schema["required"] as JsonArray ?? []).Select(r => (string?)r).OfType<string>())
        {
            if (obj[required] is null)
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
}
