using k8s;
using k8s.Models;

namespace Flagger.Kubernetes;

/// <summary>Naming and labels shared by the primaries Flagger generates (ownership: <see cref="CanaryOwnership"/>).</summary>
internal static class Ownership
{
    /// <summary>Labels or annotations whose keys match an include prefix (<c>*</c>: all); Flux's are always dropped.</summary>
    public static Dictionary<string, string>? Filter(IDictionary<string, string>? source, IEnumerable<string> prefixes)
    {
        if (source is null)
        {
            return null;
        }

        var list = prefixes.ToList();
        var kept = source
            .Where(kv => !kv.Key.Contains("toolkit.fluxcd.io", StringComparison.Ordinal))
            .Where(kv => list.Any(p => p == "*" || kv.Key.StartsWith(p, StringComparison.Ordinal)))
            .ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        return kept.Count == 0 ? null : kept;
    }

    /// <summary>The first of the selector labels present in the workload's selector, and its value.</summary>
    public static (string Label, string Value) SelectorLabel(V1LabelSelector? selector, IEnumerable<string> candidates, string kind, string id)
    {
        var labels = selector?.MatchLabels ?? new Dictionary<string, string>();
        var list = candidates.ToList();
        foreach (var label in list)
        {
            if (labels.TryGetValue(label, out var value))
            {
                return (label, value);
            }
        }

        throw new InvalidOperationException($"{kind.ToLowerInvariant()} {id} spec.selector.matchLabels must contain one of [{string.Join(" ", list)}]");
    }

    /// <summary>A deep copy (KubernetesClient models are records, but <c>with</c> is shallow).</summary>
    public static T Clone<T>(T value) => KubernetesJson.Deserialize<T>(KubernetesJson.Serialize(value));

    /// <summary>Labels with <paramref name="label"/> rewritten to <c>value-primary</c>.</summary>
    public static Dictionary<string, string> PrimaryLabels(IDictionary<string, string>? labels, string label, string value)
    {
        var result = new Dictionary<string, string>(labels ?? new Dictionary<string, string>(), StringComparer.Ordinal)
        {
            [label] = value + "-primary",
        };
        return result;
    }
}
