namespace Flagger.Model.Validation;

/// <summary>What the operator knows that a resource alone does not: its flags and the providers registered in it.</summary>
public sealed record ValidationOptions
{
    /// <summary>No operator knowledge: cross-namespace references allowed, every provider name accepted.</summary>
    public static ValidationOptions Default { get; } = new();

    /// <summary>
    /// Reject MetricTemplate, AlertProvider and Gloo Upstream references to other namespaces
    /// (Flagger's <c>-no-cross-namespace-refs</c>).
    /// </summary>
    public bool NoCrossNamespaceRefs { get; init; }

    /// <summary>
    /// The operator's <c>--mesh-provider</c>, used for canaries without <c>spec.provider</c>; null when unknown.
    /// </summary>
    public string? MeshProvider { get; init; }

    /// <summary>
    /// Mesh providers the operator can route with; <c>null</c> accepts any <c>spec.provider</c>. A provider matches
    /// a known name exactly or extends it after a colon (<c>smi:v1alpha3:linkerd</c> matches <c>smi:v1alpha3</c>).
    /// </summary>
    /// <remarks>Flagger falls back to Istio for an unknown provider; this project reports it instead.</remarks>
    public IReadOnlyCollection<string>? KnownMeshProviders { get; init; }

    /// <summary>
    /// Metrics provider types the operator can query (<c>prometheus</c>, …); <c>null</c> accepts any
    /// MetricTemplate <c>spec.provider.type</c>.
    /// </summary>
    public IReadOnlyCollection<string>? KnownMetricsProviders { get; init; }

    /// <summary>
    /// AlertProvider types the operator can post to; <c>null</c> means the built-in chat services
    /// (<see cref="AlertProviderValidator.KnownTypes"/>). A host with custom notifiers passes their names too.
    /// </summary>
    public IReadOnlyCollection<string>? KnownNotifierTypes { get; init; }

    /// <summary>
    /// Mesh providers whose router cannot shift weights (<see cref="Routing.RouterCapabilities.ShiftsWeights"/> false):
    /// a canary on one needs neither stepWeight nor iterations, since it runs Blue/Green with ten iterations. The engine
    /// fills it from the routers' registrations.
    /// </summary>
    public IReadOnlyCollection<string> MeshProvidersWithoutWeights { get; init; } = [];

    /// <summary>Target kinds the operator can release; Deployment and DaemonSet unless the host adds more.</summary>
    public IReadOnlyCollection<string> TargetKinds { get; init; } = ["Deployment", "DaemonSet"];
}
