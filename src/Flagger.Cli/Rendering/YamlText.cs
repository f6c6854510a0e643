using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Flagger.Cli.Rendering;

/// <summary>JSON written as block-style YAML, the shape <c>kubectl get -o yaml</c> prints.</summary>
internal static class YamlText
{
    public static string Write(JsonNode? node)
    {
        var text = new StringBuilder();
        Write(text, node, 0, inSequence: false);
        return text.ToString();
    }

    private static void Write(StringBuilder text, JsonNode? node, int indent, bool inSequence)
    {
        switch (node)
        {
            case JsonObject obj when obj.Count > 0:
                var first = true;
                foreach (var (key, value) in obj)
                {
                    // The first key of a mapping inside a sequence shares the "- " line.
                    text.Append(' ', first && inSequence ? 0 : indent).Append(Scalar(key)).Append(':');
                    first = false;
                    WriteChild(text, value, indent);
                }

                break;
            case JsonArray array when array.Count > 0:
                var firstItem = true;
                foreach (var item in array)
                {
                    text.Append(' ', firstItem && inSequence ? 0 : indent).Append("- ");
                    firstItem = false;
                    if (item is JsonObject { Count: > 0 } or JsonArray { Count: > 0 })
                    {
                        Write(text, item, indent + 2, inSequence: true);
                    }
                    else
                    {
                        text.Append(Inline(item)).Append('\n');
                    }
                }

                break;
            default:
                text.Append(' ', inSequence ? 0 : indent).Append(Inline(node)).Append('\n');
                break;
        }
    }

    private static void WriteChild(StringBuilder text, JsonNode? value, int indent)
    {
        if (value is JsonObject { Count: > 0 })
        {
            text.Append('\n');
            Write(text, value, indent + 2, inSequence: false);
        }
        else if (value is JsonArray { Count: > 0 })
        {
            text.Append('\n');
            Write(text, value, indent, inSequence: false);
        }
        else
        {
            text.Append(' ').Append(Inline(value)).Append('\n');
        }
    }

    private static string Inline(JsonNode? node) => node switch
    {
        null => "null",
        JsonObject => "{}",
        JsonArray => "[]",
        _ when node.GetValueKind() == JsonValueKind.String => Scalar(node.GetValue<string>()),
        _ => node.ToJsonString(),
    };

    // Plain when YAML reads it back as the same string; JSON-quoted (valid YAML) otherwise.
    private static string Scalar(string value)
    {
        var plain = value.Length > 0
            && !char.IsWhiteSpace(value[0]) && !char.IsWhiteSpace(value[^1])
            && "-?:,[]{}#&*!|>'\"%@`~".IndexOf(value[0], StringComparison.Ordinal) < 0
            && !value.Contains(": ", StringComparison.Ordinal) && !value.Contains(" #", StringComparison.Ordinal)
            && !value.EndsWith(':') && !value.Any(char.IsControl)
            && !LooksTyped(value);
        return plain ? value : JsonSerializer.Serialize(value, CliJsonContext.Default.String);
    }

    private static bool LooksTyped(string value) =>
        value is "true" or "false" or "yes" or "no" or "on" or "off" or "y" or "n" or "null" or "~"
            or "True" or "False" or "Yes" or "No" or "On" or "Off" or "Y" or "N" or "Null" or "TRUE" or "FALSE" or "NULL"
        || double.TryParse(value, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out _)
        || value.StartsWith("0x", StringComparison.OrdinalIgnoreCase);
}
