using System.Text.Json;

namespace Flagger.Model;

/// <summary>The Canary's <c>spec.service</c>: the generated Services and the mesh objects built from them.</summary>
/// <remarks>
/// Mesh-specific blocks (match, trafficPolicy, corsPolicy, headers, gatewayRefs, mirror, backends) are kept as
/// raw JSON: their shape belongs to the mesh, and the router that understands them reads them.
/// </remarks>
public sealed record CanaryService
{
    /// <summary>Apex Service name; the target's name when empty.</summary>
    public string? Name { get; init; }

    /// <summary>Service port (required).</summary>
    public int Port { get; init; }

    /// <summary>Service port name (default <c>http</c>).</summary>
    public string? PortName { get; init; }

    /// <summary>Container port or port name; the service port when empty.</summary>
    public IntOrString? TargetPort { get; init; }

    /// <summary>Service port appProtocol; <c>tcp</c> switches Istio to TCP routes.</summary>
    public string? AppProtocol { get; init; }

    /// <summary>PreferClose, PreferSameZone or PreferSameNode.</summary>
    public string? TrafficDistribution { get; init; }

    /// <summary>Expose every container port of the target on the generated Services.</summary>
    public bool PortDiscovery { get; init; }

    /// <summary>Generate headless Services.</summary>
    public bool Headless { get; init; }

    /// <summary>Route timeout, for example <c>30s</c>.</summary>
    public string? Timeout { get; init; }

    /// <summary>Backend request timeout (Gateway API).</summary>
    public string? BackendTimeout { get; init; }

    /// <summary>Istio gateways; <c>mesh</c> when empty.</summary>
    public IReadOnlyList<string>? Gateways { get; init; }

    /// <summary>Gateway API parent references.</summary>
    public JsonElement? GatewayRefs { get; init; }

    /// <summary>Host names; the apex name is appended unless present or <c>*</c>.</summary>
    public IReadOnlyList<string>? Hosts { get; init; }

    /// <summary>Generate an Istio delegate VirtualService (no hosts, no gateways).</summary>
    public bool Delegation { get; init; }

    /// <summary>Istio DestinationRule traffic policy.</summary>
    public JsonElement? TrafficPolicy { get; init; }

    /// <summary>URI/header matches of the generated route.</summary>
    public JsonElement? Match { get; init; }

    /// <summary>URI/authority rewrite.</summary>
    public HttpRewrite? Rewrite { get; init; }

    /// <summary>Retry policy.</summary>
    public HttpRetry? Retries { get; init; }

    /// <summary>Request/response header operations.</summary>
    public JsonElement? Headers { get; init; }

    /// <summary>CORS policy.</summary>
    public JsonElement? CorsPolicy { get; init; }

    /// <summary>Static extra mirrors (Gateway API).</summary>
    public JsonElement? Mirror { get; init; }

    /// <summary>App Mesh mesh name.</summary>
    public string? MeshName { get; init; }

    /// <summary>App Mesh backends.</summary>
    public JsonElement? Backends { get; init; }

    /// <summary>Metadata for the apex Service and the mesh object.</summary>
    public CustomMetadata? Apex { get; init; }

    /// <summary>Metadata for the primary Service.</summary>
    public CustomMetadata? Primary { get; init; }

    /// <summary>Metadata for the canary Service.</summary>
    public CustomMetadata? Canary { get; init; }

    /// <summary>Label and annotation keys Flagger must leave alone on Services it owns.</summary>
    public UnmanagedMetadata? UnmanagedMetadata { get; init; }
}

/// <summary>Labels and annotations to set on a generated object.</summary>
public sealed record CustomMetadata
{
    /// <summary>Labels.</summary>
    public IReadOnlyDictionary<string, string>? Labels { get; init; }

    /// <summary>Annotations.</summary>
    public IReadOnlyDictionary<string, string>? Annotations { get; init; }
}

/// <summary>Metadata keys that are not Flagger's to remove.</summary>
public sealed record UnmanagedMetadata
{
    /// <summary>Label keys.</summary>
    public IReadOnlyList<string>? Labels { get; init; }

    /// <summary>Annotation keys.</summary>
    public IReadOnlyList<string>? Annotations { get; init; }
}

/// <summary>HTTP rewrite of the generated route.</summary>
public sealed record HttpRewrite
{
    /// <summary>Replacement URI or prefix.</summary>
    public string? Uri { get; init; }

    /// <summary>Replacement authority (Host header).</summary>
    public string? Authority { get; init; }

    /// <summary><c>FullPath</c> or <c>Prefix</c> (Gateway API).</summary>
    public string? Type { get; init; }
}

/// <summary>HTTP retry policy of the generated route.</summary>
public sealed record HttpRetry
{
    /// <summary>Number of attempts.</summary>
    public int Attempts { get; init; }

    /// <summary>Timeout per attempt, for example <c>2s</c>.</summary>
    public string? PerTryTimeout { get; init; }

    /// <summary>Conditions that trigger a retry.</summary>
    public string? RetryOn { get; init; }
}
