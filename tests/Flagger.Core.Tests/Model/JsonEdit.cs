using System.Globalization;
using System.Text.Json.Nodes;

namespace Flagger.Tests.Model;

/// <summary>
/// Edits a JSON document the way a user edits a manifest, so table rows stay plain strings:
/// <c>spec.analysis.stepWeight=-5</c> sets a value, <c>spec.analysis.metrics[0].name-</c> removes a field, and
/// several edits are joined with <c> &amp; </c>.
/// </summary>
internal static class JsonEdit
{
    public static string Apply(string json, string edits)
    {
        foreach (var edit in edits.Split(" & ", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var equals = edit.IndexOf('=', StringComparison.Ordinal);
            json = equals < 0 && edit.EndsWith('-') ? Remove(json, edit[..^1]) : Set(json, edit[..equals], edit[(equals + 1)..]);
        }

        return json;
    }

    /// <summary>Sets the field at <paramref name="path"/> to the JSON text <paramref name="valueJson"/>.</summary>
    public static string Set(string json, string path, string valueJson)
    {
        var root = Parse(json);
        var (parent, key) = Walk(root, path);
        Set(parent, key, JsonNode.Parse(valueJson));
        return root.ToJsonString();
    }

    /// <summary>Removes the field or list element at <paramref name="path"/>.</summary>
    public static string Remove(string json, string path)
    {
        var root = Parse(json);
        var (parent, key) = Walk(root, path);
        Remove(parent, key);
        return root.ToJsonString();
    }

    /// <summary>Every field and list element path of <paramref name="json"/>, parents before children.</summary>
    public static IReadOnlyList<string> Paths(string json)
    {
        var paths = new List<string>();
        Collect(Parse(json), string.Empty, paths);
        return paths;
    }

    private static void Collect(JsonNode? node, string path, List<string> paths)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (name, child) in obj)
                {
                    var childPath = path.Length == 0 ? name : $"{path}.{name}";
                    paths.Add(childPath);
                    Collect(child, childPath, paths);
                }

                break;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    var childPath = string.Create(CultureInfo.InvariantCulture, $"{path}[{i}]");
                    paths.Add(childPath);
                    Collect(array[i], childPath, paths);
                }

                break;
        }
    }

    private static JsonNode Parse(string json) =>
        JsonNode.Parse(json) ?? throw new ArgumentException("empty document", nameof(json));

    // Returns the container of the last segment, creating missing objects on the way.
    private static (JsonNode Parent, object Key) Walk(JsonNode root, string path)
    {
        var keys = Keys(path).ToList();
        var node = root;
        for (var i = 0; i < keys.Count - 1; i++)
        {
            var next = Get(node, keys[i]);
            if (next is null)
            {
                next = new JsonObject();
                Set(node, keys[i], next);
            }

            node = next;
        }

        return (node, keys[^1]);
    }

    private static IEnumerable<object> Keys(string path)
    {
        foreach (var segment in path.Split('.'))
        {
            var bracket = segment.IndexOf('[', StringComparison.Ordinal);
            yield return bracket < 0 ? segment : segment[..bracket];
            while (bracket >= 0)
            {
                var close = segment.IndexOf(']', bracket);
                yield return int.Parse(segment[(bracket + 1)..close], CultureInfo.InvariantCulture);
                bracket = segment.IndexOf('[', close);
            }
        }
    }

    private static JsonNode? Get(JsonNode node, object key) => key switch
    {
        int index => node.AsArray()[index],
        string name => node.AsObject()[name],
        _ => null,
    };

    private static void Set(JsonNode node, object key, JsonNode? value)
    {
        if (key is int index)
        {
            var array = node.AsArray();
            if (index == array.Count)
            {
                array.Add(value);
            }
            else
            {
                array[index] = value;
            }
        }
        else
        {
            node.AsObject()[(string)key] = value;
        }
    }

    private static void Remove(JsonNode node, object key)
    {
        if (key is int index)
        {
            node.AsArray().RemoveAt(index);
        }
        else
        {
            node.AsObject().Remove((string)key);
        }
    }
}
