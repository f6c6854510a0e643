using Flagger.Kubernetes.Configs;
using k8s.Models;

namespace Flagger.Kubernetes.Targets;

/// <summary>Builds the primary's pod template from the target's: selector label, config references, spread selectors.</summary>
internal static class PrimaryTemplate
{
    /// <summary>The annotation whose change forces a rolling update of the primary.</summary>
    public const string FlaggerIdAnnotation = "flagger-id";

    /// <summary>
    /// The target's template rewritten for the primary. The flagger-id of <paramref name="current"/> is kept when the primary
    /// already runs the same template, so a promotion that changes nothing restarts no pods (departure 11).
    /// </summary>
    public static V1PodTemplateSpec Build(V1PodTemplateSpec source, string label, string value, IReadOnlyCollection<TrackedConfig> configs, V1PodTemplateSpec? current)
    {
        var template = Ownership.Clone(source);
        template.Metadata ??= new V1ObjectMeta();
        template.Metadata.Labels = Ownership.PrimaryLabels(template.Metadata.Labels, label, value);
        template.Spec ??= new V1PodSpec();
        ConfigTracker.RewriteReferences(template.Spec, configs);
        RewriteSpreadSelectors(template.Spec, label, value);
        var annotations = new Dictionary<string, string>(template.Metadata.Annotations ?? new Dictionary<string, string>(), StringComparer.Ordinal);
        string? previousId = null;
        current?.Metadata?.Annotations?.TryGetValue(FlaggerIdAnnotation, out previousId);
        annotations[FlaggerIdAnnotation] = previousId is not null && SameIgnoringId(template, current!) ? previousId : Guid.NewGuid().ToString();
        template.Metadata.Annotations = annotations;
        return template;
    }

    private static bool SameIgnoringId(V1PodTemplateSpec desired, V1PodTemplateSpec current)
    {
        var a = Ownership.Clone(desired);
        var b = Ownership.Clone(current);
        a.Metadata.Annotations?.Remove(FlaggerIdAnnotation);
        b.Metadata?.Annotations?.Remove(FlaggerIdAnnotation);
        return Flagger.Model.SpecHash.Compute(k8s.KubernetesJson.Serialize(a)) == Flagger.Model.SpecHash.Compute(k8s.KubernetesJson.Serialize(b));
    }

    // Pods of the primary must spread among themselves, not among the canary's pods.
    private static void RewriteSpreadSelectors(V1PodSpec spec, string label, string value)
    {
        foreach (var constraint in spec.TopologySpreadConstraints ?? [])
        {
            Rewrite(constraint.LabelSelector, label, value);
        }

        var anti = spec.Affinity?.PodAntiAffinity;
        foreach (var term in anti?.RequiredDuringSchedulingIgnoredDuringExecution ?? [])
        {
            Rewrite(term.LabelSelector, label, value);
        }

        foreach (var weighted in anti?.PreferredDuringSchedulingIgnoredDuringExecution ?? [])
        {
            Rewrite(weighted.PodAffinityTerm?.LabelSelector, label, value);
        }
    }

    private static void Rewrite(V1LabelSelector? selector, string label, string value)
    {
        if (selector?.MatchLabels is { } labels && labels.TryGetValue(label, out var v) && v == value)
        {
            labels[label] = value + "-primary";
        }

        foreach (var expression in selector?.MatchExpressions ?? [])
        {
            if (expression.Key == label && expression.Values is { } values)
            {
                expression.Values = values.Select(x => x == value ? value + "-primary" : x).ToList();
            }
        }
    }
}
