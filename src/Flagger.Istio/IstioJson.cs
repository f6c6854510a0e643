using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Flagger.Istio.Model;
using k8s;

namespace Flagger.Istio;

/// <summary>
/// Istio's objects as JSON, from source-generated metadata. KubernetesJson knows the client's own model types only
/// and reaches ours through its reflection fallback, which a trimmed or Native AOT operator does not have
/// (bench/README.md, "Operator idle memory"). The settings are the client's: camelCase, nulls left out, and its
/// RFC 3339 timestamps for the metadata.
/// </summary>
internal static class IstioJson
{
    public static T? Deserialize<T>(JsonElement json)
        where T : class =>
        json.Deserialize(Info<T>());

    public static T? Deserialize<T>(string json)
        where T : class =>
        JsonSerializer.Deserialize(json, Info<T>());

    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Info<T>());

    /// <summary>The body handed to the client's custom-object calls: it serialises a JsonElement as it is.</summary>
    public static JsonElement ToElement<T>(T value) => JsonSerializer.SerializeToElement(value, Info<T>());

    public static JsonNode? ToNode<T>(T value) => JsonSerializer.SerializeToNode(value, Info<T>());

    private static JsonTypeInfo<T> Info<T>() =>
        IstioJsonContext.Default.GetTypeInfo(typeof(T)) as JsonTypeInfo<T>
        ?? throw new InvalidOperationException($"{typeof(T).Name} is not in {nameof(IstioJsonContext)}; add a [JsonSerializable] for it");
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    Converters = [typeof(KubernetesJson.KubernetesDateTimeConverter), typeof(KubernetesJson.KubernetesDateTimeOffsetConverter)])]
[JsonSerializable(typeof(VirtualService))]
[JsonSerializable(typeof(DestinationRule))]
[JsonSerializable(typeof(JsonArray))]
[JsonSerializable(typeof(HttpRoute))]
internal sealed partial class IstioJsonContext : JsonSerializerContext;
