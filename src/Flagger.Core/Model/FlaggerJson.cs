using System.Text.Json;
using System.Text.Json.Serialization;

namespace Flagger.Model;

/// <summary>Source-generated JSON for the flagger.app resources, in their Kubernetes (camelCase) shape.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingDefault,
    PropertyNameCaseInsensitive = false,
    AllowTrailingCommas = true,
    Converters = [typeof(KubernetesTimeJsonConverter)])]
[JsonSerializable(typeof(Canary))]
[JsonSerializable(typeof(CanaryStatus))]
[JsonSerializable(typeof(MetricTemplate))]
[JsonSerializable(typeof(AlertProvider))]
[JsonSerializable(typeof(WebhookPayload))]
[JsonSerializable(typeof(string))]
internal sealed partial class FlaggerJsonContext : JsonSerializerContext;

/// <summary>Reads and writes the flagger.app resources.</summary>
public static class FlaggerJson
{
    /// <summary>Parses a Canary; a type mismatch throws <see cref="JsonException"/> naming the JSON path.</summary>
    public static Canary DeserializeCanary(string json) =>
        JsonSerializer.Deserialize(json, FlaggerJsonContext.Default.Canary) ?? throw new JsonException("empty Canary document");

    /// <summary>Parses a MetricTemplate.</summary>
    public static MetricTemplate DeserializeMetricTemplate(string json) =>
        JsonSerializer.Deserialize(json, FlaggerJsonContext.Default.MetricTemplate) ?? throw new JsonException("empty MetricTemplate document");

    /// <summary>Parses an AlertProvider.</summary>
    public static AlertProvider DeserializeAlertProvider(string json) =>
        JsonSerializer.Deserialize(json, FlaggerJsonContext.Default.AlertProvider) ?? throw new JsonException("empty AlertProvider document");

    /// <summary>Writes a Canary.</summary>
    public static string Serialize(Canary canary) => JsonSerializer.Serialize(canary, FlaggerJsonContext.Default.Canary);

    /// <summary>Writes a Canary status.</summary>
    public static string Serialize(CanaryStatus status) => JsonSerializer.Serialize(status, FlaggerJsonContext.Default.CanaryStatus);
}
