using Flagger.Metrics;

namespace Flagger.Model.Validation;

/// <summary>Checks a MetricTemplate and reports every problem at once.</summary>
public static class MetricTemplateValidator
{
    /// <summary>Every problem of <paramref name="template"/>; empty when a canary can query through it.</summary>
    /// <param name="template">The MetricTemplate as read from the API server or a manifest.</param>
    /// <param name="options">Known metrics providers; <see cref="ValidationOptions.Default"/> when null.</param>
    public static IReadOnlyList<ValidationProblem> Validate(MetricTemplate template, ValidationOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(template);
        options ??= ValidationOptions.Default;
        var problems = new ProblemList();
        if (template.Spec is not { } spec)
        {
            problems.Add("spec", "required; a MetricTemplate needs spec.provider and spec.query");
            return problems.Problems;
        }

        if (spec.Provider is not { } provider)
        {
            problems.Add("spec.provider", "required; set at least spec.provider.type, such as prometheus");
        }
        else
        {
            ValidateProvider(provider, options, problems);
        }

        if (string.IsNullOrWhiteSpace(spec.Query))
        {
            problems.Add("spec.query", "required; the query to run, such as a PromQL expression");
        }
        else if (MetricQueryRenderer.FindUnknownPlaceholder(spec.Query) is { } unknown)
        {
            problems.Add("spec.query", unknown);
        }

        return problems.Problems;
    }

    private static void ValidateProvider(MetricTemplateProvider provider, ValidationOptions options, ProblemList problems)
    {
        if (string.IsNullOrWhiteSpace(provider.Type))
        {
            problems.Add("spec.provider.type", "required; the metrics provider to query, such as prometheus");
            return;
        }

        // Flagger falls back to Prometheus for an unknown type (departure 7: say so instead).
        if (options.KnownMetricsProviders is { } known && !known.Contains(provider.Type, StringComparer.Ordinal))
        {
            problems.Add("spec.provider.type", $"unknown provider {ProblemList.Quote(provider.Type)}; known providers are {ProblemList.List(known)}");
        }

        if (provider.Type == "prometheus")
        {
            if (string.IsNullOrWhiteSpace(provider.Address))
            {
                problems.Add("spec.provider.address", "required for the prometheus provider, such as http://prometheus.istio-system:9090");
            }
            else if (!ProblemList.IsHttpAddress(provider.Address))
            {
                problems.Add("spec.provider.address", $"must be an absolute http or https URL, got {ProblemList.QuoteAddress(provider.Address)}");
            }
        }

        if (provider.SecretRef is { } secret)
        {
            problems.Required("spec.provider.secretRef.name", secret.Name, "the Secret holding the credentials");
        }
    }
}
