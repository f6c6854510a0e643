using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Flagger.Cli.Validation;

/// <summary>One object read from a manifest: the file it came from, its place there, and its JSON.</summary>
internal sealed record ManifestObject(string File, int Document, JsonObject Json);

/// <summary>
/// Reads manifests as kubectl does before it sends them: YAML (several documents per file, <c>kind: List</c> unpacked)
/// or JSON, each document turned into the JSON an API server would receive.
/// </summary>
internal static class Manifests
{
    /// <summary>The files named by <c>-f</c>: a file, a directory's *.yaml/*.yml/*.json (recursively), or - for stdin.</summary>
    public static IEnumerable<string> Expand(string path)
    {
        if (path == "-" || File.Exists(path))
        {
            return [path];
        }

        if (Directory.Exists(path))
        {
            return Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories)
                .Where(f => Path.GetExtension(f) is ".yaml" or ".yml" or ".json")
                .Order(StringComparer.Ordinal);
        }

        throw new UsageException($"-f {path}: no such file or directory");
    }

    public static IEnumerable<ManifestObject> Read(string file, TextReader? stdin = null)
    {
        var text = file == "-" ? (stdin ?? Console.In).ReadToEnd() : File.ReadAllText(file);
        var documents = LooksLikeJson(text) ? [ParseJson(file, text)] : ParseYaml(file, text);
        var index = 0;
        foreach (var document in documents)
        {
            index++;
            if (document is not JsonObject obj)
            {
                continue;
            }

            // kubectl unpacks a List (what `kubectl get -o yaml` writes for several objects).
            if (obj["kind"]?.GetValueKind() == JsonValueKind.String && (string?)obj["kind"] == "List" && obj["items"] is JsonArray items)
            {
                foreach (var item in items.OfType<JsonObject>())
                {
                    yield return new ManifestObject(file, index, (JsonObject)item.DeepClone());
                }
            }
            else
            {
                yield return new ManifestObject(file, index, obj);
            }
        }
    }

    private static bool LooksLikeJson(string text) => text.TrimStart().StartsWith('{') || text.TrimStart().StartsWith('[');

    private static JsonNode? ParseJson(string file, string text)
    {
        try
        {
            return JsonNode.Parse(text);
        }
        catch (JsonException e)
        {
            throw new ManifestException($"{file}: not valid JSON: {e.Message}");
        }
    }

    private static List<JsonNode?> ParseYaml(string file, string text)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException e)
        {
            throw new ManifestException($"{file}: line {e.Start.Line}: not valid YAML: {e.Message}");
        }

        return [.. stream.Documents.Select(d => ToJson(d.RootNode))];
    }

    private static JsonNode? ToJson(YamlNode node) => node switch
    {
        YamlMappingNode map => new JsonObject(map.Children.Select(kv => KeyValuePair.Create(((YamlScalarNode)kv.Key).Value ?? string.Empty, ToJson(kv.Value)))),
        YamlSequenceNode sequence => new JsonArray([.. sequence.Children.Select(ToJson)]),
        YamlScalarNode scalar => Scalar(scalar),
        _ => null,
    };

    // Plain scalars resolve as kubectl's YAML reader resolves them (YAML 1.1: yes/no/on/off are booleans);
    // quoted ones are always strings.
    private static JsonValue? Scalar(YamlScalarNode scalar)
    {
        var value = scalar.Value ?? string.Empty;
        if (scalar.Style is ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted or ScalarStyle.Literal or ScalarStyle.Folded)
        {
            return JsonValue.Create(value);
        }

        switch (value)
        {
            case "" or "~" or "null" or "Null" or "NULL":
                return null;
            case "true" or "True" or "TRUE" or "yes" or "Yes" or "YES" or "on" or "On" or "ON" or "y" or "Y":
                return JsonValue.Create(true);
            case "false" or "False" or "FALSE" or "no" or "No" or "NO" or "off" or "Off" or "OFF" or "n" or "N":
                return JsonValue.Create(false);
        }

        if (long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer))
        {
            return JsonValue.Create(integer);
        }

        if (value.Any(char.IsDigit) && !value.Contains(':', StringComparison.Ordinal)
            && double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && double.IsFinite(number))
        {
            return JsonValue.Create(number);
        }

        return JsonValue.Create(value);
    }
}

/// <summary>A file that cannot be read as a manifest at all.</summary>
internal sealed class ManifestException(string message) : Exception(message);
