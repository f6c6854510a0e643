using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Flagger.Model;

/// <summary>A Kubernetes int-or-string value, such as a Service targetPort.</summary>
[JsonConverter(typeof(IntOrStringJsonConverter))]
public sealed record IntOrString
{
    /// <summary>The integer form, when the value is a number.</summary>
    public int? IntValue { get; init; }

    /// <summary>The string form, when the value is a name.</summary>
    public string? StringValue { get; init; }

    /// <summary>Creates a numeric value.</summary>
    public static implicit operator IntOrString(int value) => new() { IntValue = value };

    /// <summary>Creates a named value.</summary>
    public static implicit operator IntOrString(string value) => new() { StringValue = value };

    /// <summary>Creates a numeric value.</summary>
    public static IntOrString FromInt32(int value) => value;

    /// <summary>Creates a named value.</summary>
    public static IntOrString FromString(string value) => value;

    /// <inheritdoc />
    public override string ToString() => IntValue?.ToString(CultureInfo.InvariantCulture) ?? StringValue ?? string.Empty;
}

/// <summary>Reads and writes <see cref="IntOrString"/> as a JSON number or string.</summary>
public sealed class IntOrStringJsonConverter : JsonConverter<IntOrString>
{
    /// <inheritdoc />
    public override IntOrString? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType switch
        {
            JsonTokenType.Number => new IntOrString { IntValue = reader.GetInt32() },
            JsonTokenType.String => new IntOrString { StringValue = reader.GetString() },
            JsonTokenType.Null => null,
            _ => throw new JsonException("expected a number or a string"),
        };

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, IntOrString value, JsonSerializerOptions options)
    {
        if (value.IntValue is { } number)
        {
            writer.WriteNumberValue(number);
        }
        else
        {
            writer.WriteStringValue(value.StringValue);
        }
    }
}
