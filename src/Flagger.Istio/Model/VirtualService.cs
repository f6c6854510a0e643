using System.Text.Json;
using System.Text.Json.Serialization;
using k8s;
using k8s.Models;

namespace Flagger.Istio.Model;

// Only the fields Flagger reads or writes are typed; everything else round-trips through [JsonExtensionData],
// so replacing a whole object never drops what a user or another controller wrote.

/// <summary>An Istio <c>VirtualService</c>.</summary>
internal sealed class VirtualService : IKubernetesObject<V1ObjectMeta>
{
    public const string KindName = "VirtualService";
    public const string Plural = "virtualservices";

    public string ApiVersion { get; set; } = string.Empty;

    public string Kind { get; set; } = KindName;

    public V1ObjectMeta Metadata { get; set; } = new();

    public VirtualServiceSpec Spec { get; set; } = new();

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; set; }
}

internal sealed class VirtualServiceSpec
{
    public List<string>? Hosts { get; set; }

    public List<string>? Gateways { get; set; }

    public List<HttpRoute>? Http { get; set; }

    public List<TcpRoute>? Tcp { get; set; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; set; }
}

internal sealed class HttpRoute
{
    public JsonElement? Match { get; set; }

    public HttpRouteRewrite? Rewrite { get; set; }

    public string? Timeout { get; set; }

    public HttpRetries? Retries { get; set; }

    public JsonElement? CorsPolicy { get; set; }

    public JsonElement? Headers { get; set; }

    public List<RouteDestination>? Route { get; set; }

    public Destination? Mirror { get; set; }

    public Percent? MirrorPercentage { get; set; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; set; }
}

internal sealed class TcpRoute
{
    public JsonElement? Match { get; set; }

    public List<RouteDestination>? Route { get; set; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; set; }
}

internal sealed class RouteDestination
{
    public Destination? Destination { get; set; }

    public int? Weight { get; set; }

    /// <summary>Header operations on this destination's requests and responses (session affinity's Set-Cookie).</summary>
    public JsonElement? Headers { get; set; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; set; }
}

internal sealed class Destination
{
    public string? Host { get; set; }

    public PortSelector? Port { get; set; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; set; }
}

internal sealed class PortSelector
{
    public int? Number { get; set; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; set; }
}

internal sealed class Percent
{
    public double Value { get; set; }
}

internal sealed class HttpRouteRewrite
{
    public string? Uri { get; set; }

    public string? Authority { get; set; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; set; }
}

internal sealed class HttpRetries
{
    public int? Attempts { get; set; }

    public string? PerTryTimeout { get; set; }

    public string? RetryOn { get; set; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; set; }
}
