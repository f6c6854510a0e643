using System.Text.Json.Nodes;

namespace Flagger.Testing.Api;

/// <summary>
/// The metadata-only forms kube-apiserver answers when a client asks for <c>as=PartialObjectMetadata</c> or
/// <c>as=PartialObjectMetadataList</c>: an object's whole <c>metadata</c> and nothing of its spec, data or status,
/// so an informer over Secrets or ConfigMaps holds names, labels and versions but never the values.
/// </summary>
internal static class PartialObjectMetadata
{
    /// <summary><c>{"kind":"PartialObjectMetadata","apiVersion":…,"metadata":{…}}</c> of one object.</summary>
    /// <param name="obj">The object, or a watch bookmark (whose metadata is its resourceVersion).</param>
    /// <param name="apiVersion"><c>meta.k8s.io/v1</c> or <c>meta.k8s.io/v1beta1</c>, as asked for.</param>
    /// <returns>A new object; <paramref name="obj"/> is not changed.</returns>
    public static JsonObject Of(JsonObject obj, string apiVersion) => new()
    {
        ["kind"] = "PartialObjectMetadata",
        ["apiVersion"] = apiVersion,
        ["metadata"] = obj["metadata"]?.DeepClone() ?? new JsonObject(),
    };

    /// <summary>A <c>PartialObjectMetadataList</c> of a list: its list metadata (resourceVersion, continue, remainingItemCount) and each item's metadata.</summary>
    /// <param name="list">A list as the server answers it, with <c>metadata</c> and <c>items</c>.</param>
    /// <param name="apiVersion"><c>meta.k8s.io/v1</c> or <c>meta.k8s.io/v1beta1</c>, as asked for.</param>
    /// <returns>A new list; <paramref name="list"/> is not changed.</returns>
    public static JsonObject ListOf(JsonObject list, string apiVersion) => new()
    {
        ["kind"] = "PartialObjectMetadataList",
        ["apiVersion"] = apiVersion,
        ["metadata"] = list["metadata"]?.DeepClone() ?? new JsonObject(),
        ["items"] = new JsonArray([.. (list["items"] as JsonArray ?? []).OfType<JsonObject>().Select(i => (JsonNode)Of(i, apiVersion))]),
    };
}
