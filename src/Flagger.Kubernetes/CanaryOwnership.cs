using Flagger.Model;
using k8s.Models;

namespace Flagger.Kubernetes;

/// <summary>
/// How every object Flagger generates is tied to its Canary, for this package and the router packages alike: the
/// controller ownerReference that has garbage collection delete the object with the Canary, the test that an object
/// is the canary's (so it may be adopted, changed or left to garbage collection), and the annotations that keep
/// GitOps tools from reverting what Flagger writes.
/// </summary>
public static class CanaryOwnership
{
    /// <summary>
    /// Flux's kustomize-controller skips an object with the first, helm-controller's drift detection with the
    /// second; Flagger puts both on what it generates.
    /// </summary>
    public static IReadOnlyDictionary<string, string> GitOpsAnnotations { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["kustomize.toolkit.fluxcd.io/reconcile"] = "disabled",
        ["helm.toolkit.fluxcd.io/driftDetection"] = "disabled",
    };

    /// <summary>The controller ownerReference to <paramref name="canary"/>.</summary>
    /// <param name="canary">The owning canary.</param>
    /// <returns>A new reference, blocking the owner's foreground deletion until the object is gone.</returns>
    public static V1OwnerReference ControllerReference(Canary canary)
    {
        ArgumentNullException.ThrowIfNull(canary);
        return new V1OwnerReference
        {
            ApiVersion = Canary.CurrentApiVersion,
            Kind = "Canary",
            Name = canary.Name,
            Uid = canary.Metadata.Uid ?? string.Empty,
            Controller = true,
            BlockOwnerDeletion = true,
        };
    }

    /// <summary>True when <paramref name="reference"/> names <paramref name="canary"/> (by uid when the canary has one).</summary>
    /// <param name="reference">One ownerReference of an object.</param>
    /// <param name="canary">The canary.</param>
    /// <returns>Whether the reference is to this canary.</returns>
    public static bool Refers(V1OwnerReference reference, Canary canary)
    {
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(canary);
        return reference.Kind == "Canary" && reference.Name == canary.Name && (string.IsNullOrEmpty(canary.Metadata.Uid) || reference.Uid == canary.Metadata.Uid);
    }

    /// <summary>True when one of <paramref name="ownerReferences"/> is to <paramref name="canary"/>.</summary>
    /// <param name="ownerReferences">An object's ownerReferences, or null.</param>
    /// <param name="canary">The canary.</param>
    /// <returns>Whether the canary owns the object.</returns>
    public static bool IsOwnedBy(IEnumerable<V1OwnerReference>? ownerReferences, Canary canary) =>
        ownerReferences?.Any(o => Refers(o, canary)) == true;
}
