using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Flagger.Testing.Storage;

/// <summary>Turns JSON values into Table cells the way apiextensions-apiserver does for printer columns.</summary>
internal static class Cells
{
    public static JsonNode? From(string type, JsonNode? value, DateTimeOffset now)
    {
        if (value is null)
        {
            return null;
        }

        if (type == "date")
        {
            return Ages.Since(value, now);
        }

        return value switch
        {
            JsonValue v when v.GetValueKind() == JsonValueKind.String => JsonValue.Create(v.GetValue<string>()),
            JsonValue v when v.GetValueKind() is JsonValueKind.True or JsonValueKind.False => JsonValue.Create(v.GetValue<bool>()),
            JsonValue v when v.GetValueKind() == JsonValueKind.Number => v.DeepClone(),
            // Arrays and objects print as their JSON, as the real server's fallback does.
            _ => JsonValue.Create(value.ToJsonString()),
        };
    }
}

/// <summary>kubectl's short human durations ("5s", "3m", "2d").</summary>
internal static class Ages
{
    public static JsonNode? Since(JsonNode? timestamp, DateTimeOffset now)
    {
        if (timestamp is not JsonValue value || !value.TryGetValue<string>(out var text)
            || !DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
        {
            return JsonValue.Create("<unknown>");
        }

        return JsonValue.Create(Human(now - at));
    }

    public static string Human(TimeSpan d)
    {
        if (d < TimeSpan.Zero)
        {
            d = TimeSpan.Zero;
        }

        if (d.TotalSeconds < 120)
        {
            return $"{(int)d.TotalSeconds}s";
        }

        if (d.TotalMinutes < 10)
        {
            return d.Seconds == 0 ? $"{(int)d.TotalMinutes}m" : $"{(int)d.TotalMinutes}m{d.Seconds}s";
        }

        if (d.TotalHours < 3)
        {
            return $"{(int)d.TotalMinutes}m";
        }

        if (d.TotalHours < 48)
        {
            return d.Minutes == 0 || d.TotalHours >= 8 ? $"{(int)d.TotalHours}h" : $"{(int)d.TotalHours}h{d.Minutes}m";
        }

        return $"{(int)d.TotalDays}d";
    }
}

/// <summary>The subset of JSONPath CRD printer columns and field selectors use: <c>.a.b[0].c</c>.</summary>
internal static class JsonPathLite
{
    public static JsonNode? Evaluate(JsonNode? node, string path)
    {
        var p = path.Trim();
        if (p.StartsWith('{') && p.EndsWith('}'))
        {
            p = p[1..^1];
        }

        p = p.TrimStart('$');
        foreach (var segment in p.Split('.', StringSplitOptions.RemoveEmptyEntries))
        {
            var name = segment;
            int? index = null;
            var bracket = segment.IndexOf('[', StringComparison.Ordinal);
            if (bracket >= 0)
            {
                name = segment[..bracket];
                if (int.TryParse(segment[(bracket + 1)..^1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var i))
                {
                    index = i;
                }
            }

            if (name.Length > 0)
            {
                node = node is JsonObject o ? o[name] : null;
            }

            if (index is { } idx)
            {
                node = node is JsonArray a && idx < a.Count ? a[idx] : null;
            }

            if (node is null)
            {
                return null;
            }
        }

        return node;
    }
}
