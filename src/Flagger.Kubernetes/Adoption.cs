using System.Text.Json.Nodes;
using Flagger.Model;

namespace Flagger.Kubernetes;

/// <summary>
/// What a router does, whatever its objects, when it takes over an apex object the user created (a VirtualService,
/// an HTTPRoute) and when it hands it back on finalisation: where the original spec is kept, how it is found again,
/// and which labels and annotations Flagger puts on the object.
/// </summary>
public static class Adoption
{
    /// <summary>Where kubectl keeps what the user applied; an adopted object is restored from it on finalise.</summary>
    public const string KubectlAnnotation = "kubectl.kubernetes.io/last-applied-configuration";

    /// <summary>Where Flagger keeps an adopted object's spec when kubectl's annotation is absent.</summary>
    public const string OriginalConfigurationAnnotation = "flagger.kubernetes.io/original-configuration";

    /// <summary>
    /// True when taking over an object must first keep its spec under <see cref="OriginalConfigurationAnnotation"/>:
    /// the canary does not own it, and neither annotation could restore it.
    /// </summary>
    /// <param name="annotations">The object's annotations, or null.</param>
    /// <param name="ownedByCanary">Whether the canary owns the object (<see cref="CanaryOwnership.IsOwnedBy"/>).</param>
    /// <returns>Whether to write the original spec before changing it.</returns>
    public static bool MustKeepOriginal(IReadOnlyDictionary<string, string>? annotations, bool ownedByCanary) =>
        !ownedByCanary && annotations?.ContainsKey(KubectlAnnotation) != true && annotations?.ContainsKey(OriginalConfigurationAnnotation) != true;

    /// <summary>
    /// The spec an adopted object had, as JSON: the <c>spec</c> of kubectl's last-applied configuration, else the one
    /// Flagger kept; null when neither annotation holds one.
    /// </summary>
    /// <param name="annotations">The object's annotations, or null.</param>
    /// <returns>The original spec's JSON, or null.</returns>
    public static string? OriginalSpec(IReadOnlyDictionary<string, string>? annotations)
    {
        if (annotations?.TryGetValue(KubectlAnnotation, out var applied) == true && JsonNode.Parse(applied)?["spec"] is JsonObject spec)
        {
            return spec.ToJsonString();
        }

        return annotations?.TryGetValue(OriginalConfigurationAnnotation, out var original) == true ? original : null;
    }

    /// <summary>The error when an object the canary does not own is finalised and no original spec is found.</summary>
    /// <param name="kind">The object's kind.</param>
    /// <param name="name">Its name.</param>
    /// <param name="namespace">Its namespace.</param>
    /// <returns>The message, naming both annotations.</returns>
    public static string OriginalNotFound(string kind, string name, string @namespace) =>
        $"{kind} {name}.{@namespace} original configuration not found: neither {KubectlAnnotation} nor {OriginalConfigurationAnnotation} is set";

    /// <summary>
    /// The labels and annotations Flagger puts on an apex object, in the order to apply them:
    /// <c>spec.service.apex</c>'s labels, <see cref="CanaryOwnership.GitOpsAnnotations"/>, then
    /// <c>spec.service.apex</c>'s annotations. Flux's keys (but the two that tell it to leave the object alone) and
    /// kubectl's annotation are left out: they belong to the tools that wrote them.
    /// </summary>
    /// <param name="canary">The canary.</param>
    /// <returns>Each entry, with whether it is a label.</returns>
    public static IEnumerable<(bool Label, string Key, string Value)> ApexMetadata(Canary canary)
    {
        ArgumentNullException.ThrowIfNull(canary);
        var apex = canary.Spec.Service?.Apex;
        foreach (var (key, value) in Kept(apex?.Labels))
        {
            yield return (true, key, value);
        }

        foreach (var (key, value) in CanaryOwnership.GitOpsAnnotations)
        {
            yield return (false, key, value);
        }

        foreach (var (key, value) in Kept(apex?.Annotations))
        {
            yield return (false, key, value);
        }

        static IEnumerable<KeyValuePair<string, string>> Kept(IReadOnlyDictionary<string, string>? wanted) =>
            (wanted ?? new Dictionary<string, string>()).Where(kv => !kv.Key.Contains("toolkit.fluxcd.io", StringComparison.Ordinal) && kv.Key != KubectlAnnotation);
    }
}
