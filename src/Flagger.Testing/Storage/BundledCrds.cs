using System.Text.Json.Nodes;
using k8s;
using k8s.Models;

namespace Flagger.Testing.Storage;

/// <summary>The CRDs from <c>deploy/crds</c>, embedded in the assembly.</summary>
internal static class BundledCrds
{
    public static IEnumerable<JsonObject> Load(Func<string, bool> include)
    {
        var assembly = typeof(BundledCrds).Assembly;
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith("crds/", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var reader = new StreamReader(stream);
            var crd = KubernetesYaml.Deserialize<V1CustomResourceDefinition>(reader.ReadToEnd());
            if (include(crd.Spec.Group))
            {
                yield return JsonNode.Parse(KubernetesJson.Serialize(crd))!.AsObject();
            }
        }
    }
}
