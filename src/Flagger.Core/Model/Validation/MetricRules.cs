using Flagger.Metrics;

namespace Flagger.Model.Validation;

/// <summary>Rules for <c>analysis.metrics</c>: names, windows, thresholds and where each query comes from.</summary>
internal static class MetricRules
{
    public static void Validate(IReadOnlyList<CanaryMetric?>? metrics, AnalysisContext context)
    {
        if (metrics is null)
        {
            return;
        }

        var problems = context.Problems;
        var names = new UniqueNames("metric", $"{context.Path}.metrics");
        for (var i = 0; i < metrics.Count; i++)
        {
            var path = ProblemList.Index($"{context.Path}.metrics", i);
            if (metrics[i] is not { } metric)
            {
                problems.Add(path, "must not be empty; give the metric a name");
                continue;
            }

            problems.Required($"{path}.name", metric.Name);
            names.Check(metric.Name, i, problems);
            problems.Duration($"{path}.interval", metric.Interval, "1m or 30s", FieldLimits.MaxMetricInterval);
            if (metric.ThresholdRange is { Min: { } min, Max: { } max } && min > max)
            {
                problems.Add($"{path}.thresholdRange", $"min must not exceed max, got min {min} and max {max}");
            }

            ValidateSource(metric, path, context);
            if (metric.Comparison is { } comparison)
            {
                ComparisonRules.Validate(comparison, $"{path}.comparison", problems);
            }
        }
    }

    private static void ValidateSource(CanaryMetric metric, string path, AnalysisContext context)
    {
        if (metric.TemplateRef is { } template)
        {
            context.Problems.Required($"{path}.templateRef.name", template.Name, "the MetricTemplate holding the provider and query");
            context.Problems.SameNamespace($"{path}.templateRef.namespace", template, context.CanaryNamespace, "metric template", context.Options);
            return;
        }

        // Flagger finds this only when the metric runs, as a failed check on every tick; here it is found up front.
        if (!BuiltinMetrics.IsBuiltin(metric.Name) && string.IsNullOrWhiteSpace(metric.Query) && !string.IsNullOrWhiteSpace(metric.Name))
        {
            context.Problems.Add(path, $"no usable metrics template and query were configured for {ProblemList.Quote(metric.Name)}; " +
                $"set templateRef, or use a builtin metric ({BuiltinMetrics.RequestSuccessRate}, {BuiltinMetrics.RequestDuration})");
        }
    }
}
