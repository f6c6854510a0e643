using System.Text.Json.Nodes;
using Flagger.Model;
using Flagger.Model.Validation;

namespace Flagger.Cli.Validation;

/// <summary>One problem of one object in a manifest, worded as the API server or the operator words it.</summary>
internal sealed record ManifestProblem(ManifestObject Source, string Kind, string Name, string Problem)
{
    /// <summary><c>FILE: Kind namespace/name: field: what is wrong</c>, one line.</summary>
    public override string ToString() => $"{Source.File}: {Kind} {Name}: {Problem.ReplaceLineEndings(" ")}";
}

/// <summary>
/// Checks manifests offline in the order a cluster would: the CRD's OpenAPI schema first (what the API server refuses,
/// so the operator never sees it), then reading into the model and the operator's own validators (what the operator
/// reports on the object's <c>Valid</c> condition). Objects of other kinds are left alone.
/// </summary>
internal sealed class ManifestValidator(CrdSchemas schemas, ValidationOptions canaryOptions, ValidationOptions referenceOptions)
{
    private static readonly string[] Kinds = ["Canary", "MetricTemplate", "AlertProvider"];
    private static readonly string[] BuiltInMetricsProviders = ["prometheus"];

    // In the operator's registration order (AddKubernetes brings the plain Kubernetes router, then AddIstio), which is
    // the order its messages list them in.
    private static readonly string[] BuiltInMeshProviders = ["kubernetes", "istio", "gatewayapi:v1", "gatewayapi:v1beta1"];

    /// <summary>
    /// What the operator in samples/Flagger.Operator knows: Kubernetes, Istio and Gateway API routing (and its <c>-mesh-provider</c>), Deployment and
    /// DaemonSet targets, Prometheus templates, the built-in chat notifiers; plus what the flags add.
    /// </summary>
    public static ManifestValidator ForOperator(string meshProvider, bool noCrossNamespaceRefs, IEnumerable<string> extraMetricsProviders)
    {
        var canary = new ValidationOptions
        {
            MeshProvider = meshProvider,
            NoCrossNamespaceRefs = noCrossNamespaceRefs,
            KnownMeshProviders = [.. BuiltInMeshProviders.Append(meshProvider).Distinct(StringComparer.Ordinal)],
        };
        var references = new ValidationOptions
        {
            NoCrossNamespaceRefs = noCrossNamespaceRefs,
            KnownMetricsProviders = [.. BuiltInMetricsProviders.Concat(extraMetricsProviders).Distinct(StringComparer.Ordinal)],
        };
        return new ManifestValidator(CrdSchemas.Bundled, canary, references);
    }

    /// <summary>Whether the object is one this validator checks (a flagger.app Canary, MetricTemplate or AlertProvider).</summary>
    public static bool Covers(JsonObject json) =>
        ((string?)json["apiVersion"])?.StartsWith("flagger.app/", StringComparison.Ordinal) == true && Kinds.Contains((string?)json["kind"]);

    public IReadOnlyList<ManifestProblem> Validate(ManifestObject source)
    {
        var json = source.Json;
        var kind = (string)json["kind"]!;
        var version = ((string)json["apiVersion"]!)["flagger.app/".Length..];
        var name = Describe(json);
        List<ManifestProblem> Problems(IEnumerable<string> lines) => [.. lines.Select(l => new ManifestProblem(source, kind, name, l))];

        if (schemas.Find(version, kind) is not { } schema)
        {
            return Problems([$"apiVersion: flagger.app/{version} does not serve {kind}; served versions: {string.Join(", ", schemas.Versions(kind))}"]);
        }

        if (string.IsNullOrEmpty((string?)json["metadata"]?["name"]))
        {
            return Problems(["metadata.name: Required value: name or generateName is required"]);
        }

        var refused = CrdSchemas.Check(schema, json);
        if (refused.Count > 0)
        {
            return Problems(refused.Select(p => $"{p.Field}: {p.Message}"));
        }

        var text = json.ToJsonString();
        var problems = kind switch
        {
            "Canary" => CanaryProblems(FlaggerJson.ReadCanary(text)),
            "MetricTemplate" => FlaggerJson.ReadMetricTemplate(text) is { ReadError: { } error }
                ? [$"invalid MetricTemplate: {error}"]
                : MetricTemplateValidator.Validate(FlaggerJson.ReadMetricTemplate(text), referenceOptions).Select(p => p.ToString()),
            _ => FlaggerJson.ReadAlertProvider(text) is { ReadError: { } error }
                ? [$"invalid AlertProvider: {error}"]
                : AlertProviderValidator.Validate(FlaggerJson.ReadAlertProvider(text), referenceOptions).Select(p => p.ToString()),
        };
        return Problems(problems);
    }

    private IEnumerable<string> CanaryProblems(Canary canary) =>
        CanaryValidator.Validate(canary, canaryOptions).Select(p => p.ToString());

    private static string Describe(JsonObject json)
    {
        var name = (string?)json["metadata"]?["name"] ?? "(no name)";
        return (string?)json["metadata"]?["namespace"] is { Length: > 0 } ns ? $"{ns}/{name}" : name;
    }
}
