using System.Text.Json;
using CsCheck;
using Flagger.Model;
using Flagger.Model.Validation;

namespace Flagger.Tests.Model.Validation;

/// <summary>Validate is the first thing that sees a user's Canary: whatever JSON deserialises, it must answer, not throw.</summary>
public sealed class CanaryValidatorPropertyTests
{
    private static readonly string[] FieldNames =
    [
        "apiVersion", "kind", "metadata", "name", "namespace", "spec", "status", "provider", "targetRef", "autoscalerRef",
        "primaryScalerReplicas", "minReplicas", "maxReplicas", "primaryScalerQueries", "ingressRef", "routeRef",
        "upstreamRef", "service", "port", "portName", "targetPort", "gateways", "hosts", "delegation", "timeout",
        "backendTimeout", "retries", "attempts", "perTryTimeout", "rewrite", "uri", "analysis", "canaryAnalysis",
        "interval", "threshold", "maxWeight", "stepWeight", "stepWeights", "stepWeightPromotion", "iterations", "mirror",
        "mirrorWeight", "match", "primaryReadyThreshold", "canaryReadyThreshold", "metrics", "thresholdRange", "min",
        "max", "query", "templateRef", "templateVariables", "webhooks", "type", "url", "muteAlert", "disableTLS",
        "alerts", "severity", "providerRef", "sessionAffinity", "cookieName", "primaryCookieName", "sameSite", "maxAge",
        "progressDeadlineSeconds", "skipAnalysis", "suspend", "labels", "annotations", "phase", "failedChecks",
    ];

    private static readonly string[] InterestingStrings =
    [
        "", " ", "1m", "30s", "1h", "-1m", "500ms", "1.5m", "soon", "http://flagger-loadtester.test/", "ftp://x", "/x",
        "Deployment", "DaemonSet", "Service", "istio", "rollout", "pre-rollout", "info", "loud", "Strict", "{{ target }}",
        "test", "podinfo", "\u0000", "ü",
    ];

    private static readonly string[] InterestingNumbers =
    [
        "0", "1", "-1", "10", "50", "100", "101", "65535", "65536", "2147483647", "-2147483648", "2147483648", "1.5",
        "-0", "1e3", "1e400",
    ];

    private static readonly IReadOnlyList<string> WalkthroughPaths =
        [.. JsonEdit.Paths(WalkthroughCanary.Json).Concat(JsonEdit.Paths(WalkthroughCanary.V1Beta1Json)).Distinct()];

    private static readonly Gen<string> AnyString =
        Gen.OneOf(Gen.OneOf(InterestingStrings), Gen.String[0, 12]).Select(s => JsonSerializer.Serialize(s));

    private static readonly Gen<string> AnyScalar =
        Gen.OneOf(Gen.Const("null"), Gen.Const("true"), Gen.Const("false"), Gen.OneOf(InterestingNumbers), Gen.Int[-5, 105].Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)), AnyString);

    private static readonly Gen<string> AnyValue = Value(3);

    private static readonly Gen<(string Path, string? Value)> Mutation = Gen.OneOf(
        Gen.Select(Gen.OneOf(WalkthroughPaths.ToArray()), AnyValue, (path, value) => (path, (string?)value)),
        Gen.OneOf(WalkthroughPaths.ToArray()).Select(path => (path, (string?)null)),
        Gen.Select(Gen.OneOf(WalkthroughPaths.ToArray()), Gen.OneOf(FieldNames), AnyValue, (path, field, value) => ($"{path}.{field}", (string?)value)));

    private static readonly Gen<string> MutatedWalkthrough =
        Gen.Select(Gen.OneOf(WalkthroughCanary.Json, WalkthroughCanary.V1Beta1Json), Mutation.Array[1, 6], Mutate);

    private static readonly Gen<string> RandomCanary =
        Value(5).Select(spec => $$"""{"metadata":{"name":"podinfo","namespace":"test"},"spec":{{spec}}}""");

    [Fact]
    public void Validate_never_throws_for_a_mutated_walkthrough_canary() =>
        AssertValidateAnswers(MutatedWalkthrough, iterations: 5_000);

    [Fact]
    public void Validate_never_throws_for_a_random_canary() =>
        AssertValidateAnswers(RandomCanary, iterations: 5_000);

    private static void AssertValidateAnswers(Gen<string> documents, long iterations)
    {
        var accepted = 0;
        documents.Sample(
            json =>
            {
                Canary canary;
                try
                {
                    canary = FlaggerJson.DeserializeCanary(json);
                }
                catch (JsonException)
                {
                    return; // rejected by the JSON reader: the API server would not have stored it either
                }

                Interlocked.Increment(ref accepted);
                var options = new ValidationOptions { NoCrossNamespaceRefs = true, KnownMeshProviders = ["istio"], TargetKinds = ["Deployment"] };
                var problems = CanaryValidator.Validate(canary, options);

                Assert.All(problems, p => Assert.False(string.IsNullOrEmpty(p.Path) || string.IsNullOrEmpty(p.Message), p.ToString()));
                Assert.Equal(problems, CanaryValidator.Validate(canary, options));
                Assert.NotNull(CanaryValidator.Validate(canary));
            },
            iter: iterations);

        // The property is only worth something if most documents reach the validator.
        Assert.True(accepted > iterations / 10, $"only {accepted} of {iterations} documents deserialised");
    }

    private static Gen<string> Value(int depth)
    {
        if (depth == 0)
        {
            return AnyScalar;
        }

        var child = Value(depth - 1);
        var array = child.Array[0, 3].Select(items => $"[{string.Join(",", items)}]");
        var obj = Gen.Select(Gen.OneOf(FieldNames), child).Array[0, 5]
            .Select(fields => $"{{{string.Join(",", fields.DistinctBy(f => f.Item1).Select(f => $"\"{f.Item1}\":{f.Item2}"))}}}");
        return Gen.Frequency((4, AnyScalar), (1, array), (2, obj));
    }

    private static string Mutate(string json, (string Path, string? Value)[] mutations)
    {
        foreach (var (path, value) in mutations)
        {
            try
            {
                json = value is null ? JsonEdit.Remove(json, path) : JsonEdit.Set(json, path, value);
            }
            catch (Exception e) when (e is InvalidOperationException or ArgumentOutOfRangeException)
            {
                // An earlier mutation replaced a parent of this path: skip it, the document is mutated enough.
            }
        }

        return json;
    }
}
