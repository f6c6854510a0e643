using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Flagger.Deploy.Tests;

/// <summary>YAML documents as JSON nodes, so tests query manifests the way kubectl's JSONPath does. Scalars stay strings.</summary>
internal static class Yaml
{
    public static IReadOnlyList<JsonObject> Documents(string text)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(text));
        return [.. stream.Documents.Select(d => d.RootNode).OfType<YamlMappingNode>().Select(m => (JsonObject)ToJson(m)!)];
    }

    public static JsonObject Single(string text) => Assert.Single(Documents(text));

    public static JsonObject OfKind(this IEnumerable<JsonObject> documents, string kind, string name) =>
        documents.Single(d => (string?)d["kind"] == kind && (string?)d["metadata"]?["name"] == name);

    public static string Text(this JsonNode? node) => node?.GetValue<string>() ?? throw new InvalidOperationException("missing value");

    private static JsonNode? ToJson(YamlNode node) => node switch
    {
        YamlMappingNode map => new JsonObject(map.Children.Select(kv => KeyValuePair.Create(((YamlScalarNode)kv.Key).Value!, ToJson(kv.Value)))),
        YamlSequenceNode list => new JsonArray([.. list.Children.Select(ToJson)]),
        YamlScalarNode { Style: ScalarStyle.Plain, Value: null or "" or "~" or "null" } => null,
        YamlScalarNode scalar => JsonValue.Create(scalar.Value),
        _ => throw new InvalidOperationException($"unexpected YAML node {node.NodeType}"),
    };
}
