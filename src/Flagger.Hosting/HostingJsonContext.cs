using System.Text.Json.Serialization;
using Flagger.Model;

namespace Flagger.Hosting;

/// <summary>JSON the host writes: webhook payloads in Flagger's camelCase shape.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(WebhookPayload))]
internal sealed partial class HostingJsonContext : JsonSerializerContext;
