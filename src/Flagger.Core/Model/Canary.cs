using System.Text.Json.Serialization;

namespace Flagger.Model;

/// <summary>A <c>flagger.app/v1beta1</c> Canary: the release definition for one target workload.</summary>
public sealed record Canary
{
    /// <summary>The API group/version of Canary objects this project writes.</summary>
    public const string CurrentApiVersion = "flagger.app/v1beta1";

    /// <summary>API version, <c>flagger.app/v1beta1</c> (older <c>v1alpha3</c> objects are read alike).</summary>
    public string? ApiVersion { get; init; } = CurrentApiVersion;

    /// <summary>Always <c>Canary</c>.</summary>
    public string? Kind { get; init; } = "Canary";

    /// <summary>Object metadata.</summary>
    public ObjectMetadata Metadata { get; init; } = new();

    /// <summary>What to release and how.</summary>
    public CanarySpec Spec { get; init; } = new();

    /// <summary>Where the release stands.</summary>
    public CanaryStatus? Status { get; init; }

    /// <summary>
    /// Set by <see cref="FlaggerJson.ReadCanary"/> when the stored object could not be read as a Canary (a field of
    /// the wrong type or form): the field and what is wrong. <see cref="Spec"/> is then empty, and the engine reports
    /// the canary as invalid instead of running it.
    /// </summary>
    [JsonIgnore]
    public string? ReadError { get; init; }

    /// <summary>Canary name.</summary>
    [JsonIgnore]
    public string Name => Metadata.Name ?? string.Empty;

    /// <summary>Canary namespace.</summary>
    [JsonIgnore]
    public string Namespace => Metadata.Namespace ?? string.Empty;

    /// <summary><c>name.namespace</c>, as Flagger writes it in every event.</summary>
    [JsonIgnore]
    public string Id => $"{Name}.{Namespace}";
}

/// <summary>The Canary's <c>spec</c>.</summary>
public sealed record CanarySpec
{
    /// <summary>Mesh or ingress provider for this canary; overrides the operator's <c>--mesh-provider</c>.</summary>
    public string? Provider { get; init; }

    /// <summary>Prometheus address for the builtin metrics; overrides <c>--metrics-server</c>.</summary>
    public string? MetricsServer { get; init; }

    /// <summary>The workload under release (Deployment or DaemonSet).</summary>
    public ObjectReference? TargetRef { get; init; }

    /// <summary>Optional autoscaler (HorizontalPodAutoscaler or ScaledObject) cloned for the primary.</summary>
    public AutoscalerReference? AutoscalerRef { get; init; }

    /// <summary>Ingress to clone (NGINX provider).</summary>
    public ObjectReference? IngressRef { get; init; }

    /// <summary>Route to clone (APISIX provider).</summary>
    public ObjectReference? RouteRef { get; init; }

    /// <summary>Upstream settings to copy (Gloo provider).</summary>
    public ObjectReference? UpstreamRef { get; init; }

    /// <summary>Generated Services and mesh objects.</summary>
    public CanaryService? Service { get; init; }

    /// <summary>The analysis; use <see cref="GetAnalysis"/> to honour the legacy alias.</summary>
    public CanaryAnalysis? Analysis { get; init; }

    /// <summary>Deprecated alias of <see cref="Analysis"/>, still written by older manifests.</summary>
    public CanaryAnalysis? CanaryAnalysis { get; init; }

    /// <summary>Seconds the target or primary may take to make progress before a rollback (default 600).</summary>
    public int? ProgressDeadlineSeconds { get; init; }

    /// <summary>Promote new revisions without analysis.</summary>
    public bool SkipAnalysis { get; init; }

    /// <summary>Restore the target and apex Service when the Canary is deleted.</summary>
    public bool RevertOnDeletion { get; init; }

    /// <summary>Freeze all reconciliation of this canary.</summary>
    public bool Suspend { get; init; }

    /// <summary>The analysis, preferring <c>analysis</c> over the deprecated <c>canaryAnalysis</c>.</summary>
    public CanaryAnalysis? GetAnalysis() => Analysis ?? CanaryAnalysis;
}

/// <summary>Reference to the target's autoscaler.</summary>
public sealed record AutoscalerReference
{
    /// <summary>API version of the autoscaler.</summary>
    public string? ApiVersion { get; init; }

    /// <summary><c>HorizontalPodAutoscaler</c> or <c>ScaledObject</c>.</summary>
    public string? Kind { get; init; }

    /// <summary>Autoscaler name.</summary>
    public string? Name { get; init; }

    /// <summary>KEDA trigger queries to use for the primary, by trigger name.</summary>
    public IReadOnlyDictionary<string, string>? PrimaryScalerQueries { get; init; }

    /// <summary>Replica bounds for the primary's autoscaler.</summary>
    public PrimaryScalerReplicas? PrimaryScalerReplicas { get; init; }
}

/// <summary>Replica bounds for the primary's autoscaler.</summary>
public sealed record PrimaryScalerReplicas
{
    /// <summary>Minimum replicas (at least 1).</summary>
    public int? MinReplicas { get; init; }

    /// <summary>Maximum replicas.</summary>
    public int? MaxReplicas { get; init; }
}
