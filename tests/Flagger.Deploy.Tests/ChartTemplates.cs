using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Flagger.Deploy.Tests;

/// <summary>
/// Reads deploy/charts/flagger without helm (not installable here): lines that are only a template action
/// (<c>{{- if }}</c>, <c>{{- end }}</c>, <c>{{- include ... | nindent }}</c>) are dropped, <c>toYaml .Values.x</c>
/// lines become the value's YAML, and inline <c>.Values.x</c> actions become the value from values.yaml (other
/// actions a placeholder). Both branches of every <c>if</c> are kept, so the templates are written to stay valid
/// YAML that way. This checks structure and values, not Helm's rendering.
/// </summary>
internal static partial class ChartTemplates
{
    public const string ChartDirectory = "deploy/charts/flagger";
    public const string Placeholder = "placeholder";

    public static JsonObject Values { get; } = Yaml.Single(Repo.Read($"{ChartDirectory}/values.yaml"));

    public static IEnumerable<string> TemplateFiles() =>
        Directory.GetFiles(Repo.PathOf($"{ChartDirectory}/templates")).Order(StringComparer.Ordinal);

    public static IReadOnlyList<JsonObject> Render(string templateFileName) =>
        Yaml.Documents(Render(File.ReadAllLines(Repo.PathOf($"{ChartDirectory}/templates/{templateFileName}"))));

    /// <summary>The body of a <c>define</c> in _helpers.tpl, e.g. the RBAC rules.</summary>
    public static string Define(string name)
    {
        var helpers = Repo.Read($"{ChartDirectory}/templates/_helpers.tpl");
        var start = helpers.IndexOf($"{{{{- define \"{name}\" -}}}}", StringComparison.Ordinal);
        Assert.True(start >= 0, $"_helpers.tpl defines no {name}");
        var bodyStart = helpers.IndexOf('\n', start) + 1;
        return helpers[bodyStart..helpers.IndexOf("{{- end -}}", bodyStart, StringComparison.Ordinal)];
    }

    /// <summary>Every <c>.Values.a.b</c> path a template or helper uses.</summary>
    public static IEnumerable<(string File, string Path)> ValueReferences() =>
        from file in TemplateFiles()
        from Match m in ValuesReference().Matches(File.ReadAllText(file))
        select (Path.GetFileName(file), m.Groups["path"].Value);

    public static JsonNode? Lookup(string path, out bool found)
    {
        JsonNode? node = Values;
        foreach (var key in path.Split('.'))
        {
            if (node is not JsonObject map || !map.TryGetPropertyValue(key, out node))
            {
                found = false;
                return null;
            }
        }

        found = true;
        return node;
    }

    /// <summary>Problems with the nesting of if/range/with/define and end actions in one template.</summary>
    public static IEnumerable<string> UnbalancedActions(string file)
    {
        var depth = 0;
        foreach (Match action in Action().Matches(File.ReadAllText(file)))
        {
            var body = action.Groups["body"].Value.Trim();
            if (Opener().IsMatch(body))
            {
                depth++;
            }
            else if (body == "end")
            {
                if (--depth < 0)
                {
                    yield return $"{Path.GetFileName(file)}: '{action.Value}' closes nothing";
                    depth = 0;
                }
            }
        }

        if (depth != 0)
        {
            yield return $"{Path.GetFileName(file)}: {depth} action(s) never closed with end";
        }
    }

    private static string Render(IEnumerable<string> lines)
    {
        var output = new List<string>();
        foreach (var line in lines)
        {
            var trimmed = line.Trim();
            if (ToYamlLine().Match(trimmed) is { Success: true } toYaml)
            {
                var indent = new string(' ', int.Parse(toYaml.Groups["indent"].Value, System.Globalization.CultureInfo.InvariantCulture));
                var value = Lookup(toYaml.Groups["path"].Value, out _);
                output.AddRange(ToYaml(value).Select(l => indent + l));
            }
            else if (!WholeLineAction().IsMatch(trimmed))
            {
                output.Add(Action().Replace(line, InlineValue));
            }
        }

        return string.Join('\n', output);
    }

    private static string InlineValue(Match action)
    {
        if (InlineValuesReference().Match(action.Groups["body"].Value.Trim()) is not { Success: true } reference)
        {
            return Placeholder;
        }

        var value = Lookup(reference.Groups["path"].Value, out _);
        var text = value is JsonValue v ? v.ToString() : string.Empty;
        return reference.Groups["quote"].Success ? JsonSerializer.Serialize(text) : text;
    }

    private static IEnumerable<string> ToYaml(JsonNode? node) => node switch
    {
        JsonObject { Count: > 0 } map => map.SelectMany(kv => IsBlock(kv.Value)
            ? [$"{kv.Key}:", .. ToYaml(kv.Value).Select(l => "  " + l)]
            : new[] { $"{kv.Key}: {Scalar(kv.Value)}" }),
        JsonArray { Count: > 0 } list => list.SelectMany(item =>
        {
            var lines = ToYaml(item).ToList();
            return lines.Take(1).Select(l => "- " + l).Concat(lines.Skip(1).Select(l => "  " + l));
        }),
        _ => [Scalar(node)],
    };

    private static bool IsBlock(JsonNode? node) => node is JsonObject { Count: > 0 } or JsonArray { Count: > 0 };

    private static string Scalar(JsonNode? node) => node switch
    {
        null => "null",
        JsonObject => "{}",
        JsonArray => "[]",
        _ => JsonSerializer.Serialize(node.ToString()),
    };

    [GeneratedRegex(@"\{\{-?(?<body>.*?)-?\}\}", RegexOptions.Singleline)]
    private static partial Regex Action();

    [GeneratedRegex(@"^\{\{[^{}]*\}\}$")]
    private static partial Regex WholeLineAction();

    [GeneratedRegex(@"^\{\{-?\s*toYaml\s+\.Values\.(?<path>[\w.]+)\s*\|\s*nindent\s+(?<indent>\d+)\s*-?\}\}$")]
    private static partial Regex ToYamlLine();

    [GeneratedRegex(@"^\.Values\.(?<path>[\w.]+)(?<quote>\s*\|\s*quote)?$")]
    private static partial Regex InlineValuesReference();

    [GeneratedRegex(@"\.Values\.(?<path>\w+(?:\.\w+)*)")]
    private static partial Regex ValuesReference();

    [GeneratedRegex(@"^(if|range|with|define|block)\b")]
    private static partial Regex Opener();
}
