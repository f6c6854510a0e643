using System.Text.Json;
using System.Text.Json.Serialization;
using k8s;
using k8s.Models;

namespace Flagger.Istio.Model;

/// <summary>An Istio <c>DestinationRule</c>: Flagger owns <c>&lt;svc&gt;-primary</c> and <c>&lt;svc&gt;-canary</c> whole.</summary>
internal sealed class DestinationRule : IKubernetesObject<V1ObjectMeta>
{
    public const string KindName = "DestinationRule";
    public const string Plural = "destinationrules";

    public string ApiVersion { get; set; } = string.Empty;

    public string Kind { get; set; } = KindName;

    public V1ObjectMeta Metadata { get; set; } = new();

    public DestinationRuleSpec Spec { get; set; } = new();

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; set; }
}

internal sealed class DestinationRuleSpec
{
    public string? Host { get; set; }

    public JsonElement? TrafficPolicy { get; set; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; set; }
}
