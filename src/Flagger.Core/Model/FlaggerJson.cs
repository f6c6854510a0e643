using System.Text.Json;
using System.Text.Json.Nodes;
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
[JsonSerializable(typeof(ResourceStatus))]
[JsonSerializable(typeof(WebhookPayload))]
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(ObjectMetadata))]
internal sealed partial class FlaggerJsonContext : JsonSerializerContext;

/// <summary>Reads and writes the flagger.app resources.</summary>
public static class FlaggerJson
{
    /// <summary>Parses a Canary; a type mismatch throws <see cref="JsonException"/> naming the JSON path.</summary>
    public static Canary DeserializeCanary(string json) =>
        JsonSerializer.Deserialize(json, FlaggerJsonContext.Default.Canary) ?? throw new JsonException("empty Canary document");

    /// <summary>
    /// Parses a Canary as a watch cache must: one object that does not fit the model (a number written as a word,
    /// a list where an object belongs) must not stop the others. Such an object comes back with its metadata, an
    /// empty spec and <see cref="Canary.ReadError"/> naming the field, so the engine reports it on that canary.
    /// </summary>
    /// <param name="json">The object as the API server stored it.</param>
    /// <returns>The canary, readable or not.</returns>
    public static Canary ReadCanary(string json)
    {
        try
        {
            return DeserializeCanary(json);
        }
        catch (JsonException e)
        {
            var root = TryParse(json);
            return new Canary
            {
                Metadata = SalvageMetadata(root),
                Status = Salvage(root, FlaggerJsonContext.Default.CanaryStatus),
                ReadError = DescribeReadError(root, e, "Canary"),
            };
        }
    }

    /// <summary>
    /// Parses a MetricTemplate as a watch cache must: one that does not fit the model comes back with its metadata,
    /// an empty spec and <see cref="MetricTemplate.ReadError"/> naming the field, so the operator reports it.
    /// </summary>
    /// <param name="json">The object as the API server stored it.</param>
    /// <returns>The template, readable or not.</returns>
    public static MetricTemplate ReadMetricTemplate(string json)
    {
        try
        {
            return DeserializeMetricTemplate(json);
        }
        catch (JsonException e)
        {
            // The value is not quoted: a header or address may carry a token.
            var root = TryParse(json);
            return new MetricTemplate { Metadata = SalvageMetadata(root), Status = Salvage(root, FlaggerJsonContext.Default.ResourceStatus), ReadError = DescribeReadError(null, e, "MetricTemplate") };
        }
    }

    /// <summary>
    /// Parses an AlertProvider as a watch cache must: one that does not fit the model comes back with its metadata,
    /// an empty spec and <see cref="AlertProvider.ReadError"/> naming the field, so the operator reports it.
    /// </summary>
    /// <param name="json">The object as the API server stored it.</param>
    /// <returns>The provider, readable or not.</returns>
    public static AlertProvider ReadAlertProvider(string json)
    {
        try
        {
            return DeserializeAlertProvider(json);
        }
        catch (JsonException e)
        {
            // The value is not quoted: an AlertProvider's address or proxy may be the credential itself.
            var root = TryParse(json);
            return new AlertProvider { Metadata = SalvageMetadata(root), Status = Salvage(root, FlaggerJsonContext.Default.ResourceStatus), ReadError = DescribeReadError(null, e, "AlertProvider") };
        }
    }

    /// <summary>Parses a MetricTemplate.</summary>
    public static MetricTemplate DeserializeMetricTemplate(string json) =>
        JsonSerializer.Deserialize(json, FlaggerJsonContext.Default.MetricTemplate) ?? throw new JsonException("empty MetricTemplate document");

    /// <summary>Parses an AlertProvider.</summary>
    public static AlertProvider DeserializeAlertProvider(string json) =>
        JsonSerializer.Deserialize(json, FlaggerJsonContext.Default.AlertProvider) ?? throw new JsonException("empty AlertProvider document");

    // "spec.analysis.stepWeight: cannot be read as this field's type (got "ten")": the field as a user writes it,
    // with the offending value, from the serializer's JSON path.
    private static string DescribeReadError(JsonNode? root, JsonException error, string kind)
    {
        var path = (error.Path ?? "$").TrimStart('$').TrimStart('.');
        var value = path.Length > 0 && root is not null ? Find(root, path) : null;
        var got = value is null ? string.Empty : $" (got {Shorten(value.ToJsonString())})";
        return path.Length == 0
            ? $"the object cannot be read as a {kind}; check it against deploy/crds"
            : $"{path}: cannot be read as this field's type{got}; see the {kind} reference for what it takes";
    }

    private static JsonNode? Find(JsonNode node, string path)
    {
        JsonNode? current = node;
        foreach (var part in path.Split('.'))
        {
            var name = part;
            var index = -1;
            var bracket = part.IndexOf('[', StringComparison.Ordinal);
            if (bracket >= 0 && int.TryParse(part[(bracket + 1)..^1], System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var i))
            {
                name = part[..bracket];
                index = i;
            }

            current = current is JsonObject o && o.TryGetPropertyValue(name, out var child) ? child : null;
            if (index >= 0)
            {
                current = current is JsonArray a && index < a.Count ? a[index] : null;
            }

            if (current is null)
            {
                return null;
            }
        }

        return current;
    }

    private static string Shorten(string text) => text.Length <= 60 ? text : string.Concat(text.AsSpan(0, 57), "...");

    private static ObjectMetadata SalvageMetadata(JsonNode? root) =>
        (root?["metadata"] is JsonObject meta ? TryDeserializeMetadata(meta) : null) ?? new ObjectMetadata();

    // The status of an object whose spec cannot be read is still the operator's own writing: keeping it lets the
    // operator see that it has already reported the object, instead of writing the same report again on every pass.
    private static T? Salvage<T>(JsonNode? root, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type)
        where T : class
    {
        try
        {
            return root?["status"] is JsonObject status ? status.Deserialize(type) : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static JsonNode? TryParse(string json)
    {
        try
        {
            return JsonNode.Parse(json);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static ObjectMetadata? TryDeserializeMetadata(JsonObject metadata)
    {
        try
        {
            return metadata.Deserialize(FlaggerJsonContext.Default.ObjectMetadata);
        }
        catch (JsonException)
        {
            return new ObjectMetadata
            {
                Name = metadata["name"]?.ToString(),
                Namespace = metadata["namespace"]?.ToString(),
                ResourceVersion = metadata["resourceVersion"]?.ToString(),
            };
        }
    }

    /// <summary>Writes a Canary.</summary>
    public static string Serialize(Canary canary) => JsonSerializer.Serialize(canary, FlaggerJsonContext.Default.Canary);

    /// <summary>Writes a Canary status.</summary>
    public static string Serialize(CanaryStatus status) => JsonSerializer.Serialize(status, FlaggerJsonContext.Default.CanaryStatus);

    /// <summary>Writes a MetricTemplate or AlertProvider status.</summary>
    public static string Serialize(ResourceStatus status) => JsonSerializer.Serialize(status, FlaggerJsonContext.Default.ResourceStatus);
}
