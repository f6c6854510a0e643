namespace Flagger.Model.Validation;

/// <summary>
/// Checks a Canary before the engine acts on it and reports every problem at once, each with the field path the user
/// wrote and a sentence saying what to change.
/// </summary>
/// <remarks>
/// The Canary may come straight from arbitrary JSON, so every field, list element and map value may be null; the
/// validator reports what it can and never throws for such input.
/// </remarks>
public static class CanaryValidator
{
    /// <summary>Every problem of <paramref name="canary"/>; empty when the engine can run it.</summary>
    /// <param name="canary">The Canary as read from the API server or a manifest.</param>
    /// <param name="options">What the operator knows (flags, registered providers); <see cref="ValidationOptions.Default"/> when null.</param>
    public static IReadOnlyList<ValidationProblem> Validate(Canary canary, ValidationOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(canary);
        options ??= ValidationOptions.Default;
        if (canary.ReadError is { } readError)
        {
            // The object did not fit the model at all: that one problem is all there is to say.
            var colon = readError.IndexOf(": ", StringComparison.Ordinal);
            return colon > 0 ? [new ValidationProblem(readError[..colon], readError[(colon + 2)..])] : [new ValidationProblem("spec", readError)];
        }

        var problems = new ProblemList();
        var spec = canary.Spec;
        if (spec is null)
        {
            problems.Add("spec", "required; a Canary needs at least spec.targetRef, spec.service and spec.analysis");
            return problems.Problems;
        }

        var canaryNamespace = canary.Metadata?.Namespace;
        ValidateProvider(spec.Provider, options, problems);
        ValidateTarget(spec.TargetRef, options, problems);
        ValidateAutoscaler(spec.AutoscalerRef, problems);
        if (spec.UpstreamRef is { } upstream)
        {
            problems.SameNamespace("spec.upstreamRef.namespace", upstream, canaryNamespace, "gloo upstream", options);
        }

        problems.InRange("spec.progressDeadlineSeconds", spec.ProgressDeadlineSeconds ?? 0, 0, FieldLimits.MaxProgressDeadlineSeconds);
        ServiceRules.Validate(spec.Service, problems);

        // The path names the block the user wrote: legacy manifests (the walkthrough's) still say canaryAnalysis.
        var (analysis, analysisPath) = spec.Analysis is not null
            ? (spec.Analysis, "spec.analysis")
            : (spec.CanaryAnalysis, "spec.canaryAnalysis");
        if (analysis is null)
        {
            if (!spec.SkipAnalysis)
            {
                problems.Add("spec.analysis", "required unless spec.skipAnalysis is true");
            }

            return problems.Problems;
        }

        var provider = string.IsNullOrEmpty(spec.Provider) ? options.MeshProvider : spec.Provider;
        var context = new AnalysisContext(analysisPath, canaryNamespace, spec.SkipAnalysis, provider, options, problems);
        AnalysisRules.Validate(analysis, context);
        MetricRules.Validate(analysis.Metrics, context);
        WebhookRules.Validate(analysis.Webhooks, context);
        AlertRules.Validate(analysis.Alerts, context);
        return problems.Problems;
    }

    private static void ValidateProvider(string? provider, ValidationOptions options, ProblemList problems)
    {
        if (options.KnownMeshProviders is not { } known)
        {
            return;
        }

        if (string.IsNullOrEmpty(provider))
        {
            if (string.IsNullOrEmpty(options.MeshProvider))
            {
                problems.Add("spec.provider", $"required: the operator has no default mesh provider (--mesh-provider); set one of {ProblemList.List(known)}");
            }

            return;
        }

        // Versioned and mesh-qualified names extend a known one after a colon (smi:v1alpha3:linkerd).
        if (!known.Any(k => provider == k || provider.StartsWith(k + ":", StringComparison.Ordinal)))
        {
            problems.Add("spec.provider", $"unknown provider {ProblemList.Quote(provider)}; known providers are {ProblemList.List(known)}");
        }
    }

    private static void ValidateTarget(ObjectReference? target, ValidationOptions options, ProblemList problems)
    {
        if (target is null)
        {
            problems.Add("spec.targetRef", $"required; name the {string.Join(" or ", options.TargetKinds)} to release");
            return;
        }

        problems.Required("spec.targetRef.name", target.Name);
        problems.DerivedName("spec.targetRef.name", target.Name);

        // An empty kind means Deployment, as in Flagger.
        if (!string.IsNullOrEmpty(target.Kind) && !options.TargetKinds.Contains(target.Kind, StringComparer.Ordinal))
        {
            problems.Add("spec.targetRef.kind", $"unsupported kind {ProblemList.Quote(target.Kind)}; supported kinds are {ProblemList.List(options.TargetKinds)}");
        }
    }

    private static void ValidateAutoscaler(AutoscalerReference? autoscaler, ProblemList problems)
    {
        if (autoscaler is null)
        {
            return;
        }

        const string Path = "spec.autoscalerRef";
        problems.Required($"{Path}.kind", autoscaler.Kind, "HorizontalPodAutoscaler or ScaledObject");
        if (!string.IsNullOrWhiteSpace(autoscaler.Kind) && autoscaler.Kind is not ("HorizontalPodAutoscaler" or "ScaledObject"))
        {
            problems.Add($"{Path}.kind", $"must be HorizontalPodAutoscaler or ScaledObject, got {ProblemList.Quote(autoscaler.Kind)}");
        }

        problems.Required($"{Path}.name", autoscaler.Name);
        if (autoscaler.PrimaryScalerReplicas is not { } replicas)
        {
            return;
        }

        if (replicas.MinReplicas is < 1)
        {
            problems.Add($"{Path}.primaryScalerReplicas.minReplicas", $"must be at least 1, got {replicas.MinReplicas}");
        }

        if (replicas.MaxReplicas is < 1)
        {
            problems.Add($"{Path}.primaryScalerReplicas.maxReplicas", $"must be at least 1, got {replicas.MaxReplicas}");
        }

        if (replicas is { MinReplicas: >= 1 and var min, MaxReplicas: >= 1 and var max } && min > max)
        {
            problems.Add($"{Path}.primaryScalerReplicas.minReplicas", $"must not exceed maxReplicas ({max}), got {min}");
        }
    }
}

/// <summary>What the analysis rules share: where the analysis block is and what the operator allows.</summary>
internal sealed record AnalysisContext(
    string Path, string? CanaryNamespace, bool SkipAnalysis, string? Provider, ValidationOptions Options, ProblemList Problems);
