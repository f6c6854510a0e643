using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Flagger.Model;

/// <summary>
/// A comparison's margin as written: a JSON number (<c>0.5</c>, in the metric's unit) or a string, either a number
/// (<c>"0.5"</c>) or a percentage of the primary's value (<c>"5%"</c>). Text that is neither is kept as
/// <see cref="Text"/> with <see cref="IsValid"/> false, so validation can name it instead of the read failing.
/// </summary>
[JsonConverter(typeof(ComparisonMarginJsonConverter))]
public sealed record ComparisonMargin
{
    /// <summary>The amount: in the metric's unit, or in percent when <see cref="IsPercent"/>.</summary>
    public double Value { get; init; }

    /// <summary>Whether <see cref="Value"/> is a percentage of the primary's value.</summary>
    public bool IsPercent { get; init; }

    /// <summary>The string as written, when the margin was given as a string.</summary>
    public string? Text { get; init; }

    /// <summary>Whether the written form was a number or a percentage.</summary>
    public bool IsValid { get; init; } = true;

    /// <summary>An absolute margin in the metric's unit.</summary>
    public static ComparisonMargin Absolute(double value) => new() { Value = value };

    /// <summary>A margin in percent of the primary's value.</summary>
    public static ComparisonMargin Percent(double percent) => new() { Value = percent, IsPercent = true };

    /// <summary>Reads <c>0.5</c>, <c>"0.5"</c> or <c>"5%"</c>; anything else comes back with <see cref="IsValid"/> false.</summary>
    public static ComparisonMargin Parse(string text)
    {
        var trimmed = text.Trim();
        var percent = trimmed.EndsWith('%');
        var number = percent ? trimmed[..^1].TrimEnd() : trimmed;
        return double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value)
            ? new ComparisonMargin { Value = value, IsPercent = percent, Text = text }
            : new ComparisonMargin { Text = text, IsValid = false };
    }

    /// <inheritdoc />
    public override string ToString() => Text ?? (IsPercent
        ? string.Create(CultureInfo.InvariantCulture, $"{Value}%")
        : Value.ToString(CultureInfo.InvariantCulture));
}

/// <summary>Reads and writes <see cref="ComparisonMargin"/> as a JSON number or string.</summary>
public sealed class ComparisonMarginJsonConverter : JsonConverter<ComparisonMargin>
{
    /// <inheritdoc />
    public override ComparisonMargin? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType switch
        {
            JsonTokenType.Number => ComparisonMargin.Absolute(reader.GetDouble()),
            JsonTokenType.String => ComparisonMargin.Parse(reader.GetString() ?? string.Empty),
            JsonTokenType.Null => null,
            _ => throw new JsonException("expected a number or a string such as 5%"),
        };

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, ComparisonMargin value, JsonSerializerOptions options)
    {
        if (value.Text is { } text)
        {
            writer.WriteStringValue(text);
        }
        else if (value.IsPercent)
        {
            writer.WriteStringValue(value.ToString());
        }
        else
        {
            writer.WriteNumberValue(value.Value);
        }
    }
}
