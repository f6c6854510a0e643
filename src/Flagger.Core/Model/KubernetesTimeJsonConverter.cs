using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Flagger.Model;

/// <summary>
/// Timestamps as Kubernetes writes them (<c>metav1.Time</c>): RFC 3339 in UTC with whole seconds, e.g.
/// <c>2019-01-16T14:05:07Z</c>. kubectl's printer columns, <c>jq</c> filters and Flagger's own clients expect
/// that form; System.Text.Json's default would write fractional seconds and an offset.
/// </summary>
internal sealed class KubernetesTimeJsonConverter : JsonConverter<DateTimeOffset>
{
    private const string Format = "yyyy-MM-dd'T'HH:mm:ss'Z'";

    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var text = reader.GetString();
        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var value)
            ? value
            : throw new JsonException($"'{text}' is not an RFC 3339 timestamp (expected e.g. 2019-01-16T14:05:07Z)");
    }

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.UtcDateTime.ToString(Format, CultureInfo.InvariantCulture));
}
