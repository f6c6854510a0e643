using System.Text.Json.Nodes;
using k8s;
using k8s.Models;

namespace Flagger.Cli.Validation;

/// <summary>
/// The OpenAPI schemas of the flagger.app CRDs this tool was built with (deploy/crds), and the structural checks
/// kube-apiserver applies with them: types, required fields, enums, minimum/maximum, patterns, and unknown fields
/// (refused, as kubectl's strict field validation does), by <see cref="Schemas.StructuralSchema"/>, in the API server's wording.
/// </summary>
internal sealed class CrdSchemas
{
    private readonly Dictionary<(string Version, string Kind), JsonObject> schemas = [];

    private CrdSchemas()
    {
    }

    public static CrdSchemas Bundled { get; } = Load();

    /// <summary>The schema of a flagger.app kind at an API version, or null when the CRDs serve no such version.</summary>
    public JsonObject? Find(string version, string kind) => schemas.GetValueOrDefault((version, kind));

    public IEnumerable<string> Versions(string kind) => schemas.Keys.Where(k => k.Kind == kind).Select(k => k.Version).Order(StringComparer.Ordinal);

    /// <summary>Every problem an API server would refuse the object for, as (field, message); unknown fields included.</summary>
    public static List<(string Field, string Message)> Check(JsonObject schema, JsonObject obj)
    {
        var problems = Schemas.StructuralSchema.Check(schema, obj, prune: false, out var unknown);
        problems.AddRange(unknown.Select(u => (u, "unknown field")));
        return problems;
    }

    private static CrdSchemas Load()
    {
        var result = new CrdSchemas();
        var assembly = typeof(CrdSchemas).Assembly;
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith("crds/", StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream);
            var crd = KubernetesYaml.Deserialize<V1CustomResourceDefinition>(reader.ReadToEnd());
            foreach (var version in crd.Spec.Versions)
            {
                if (JsonNode.Parse(KubernetesJson.Serialize(version.Schema.OpenAPIV3Schema)) is JsonObject schema)
                {
                    result.schemas[(version.Name, crd.Spec.Names.Kind)] = schema;
                }
            }
        }

        return result;
    }
}
