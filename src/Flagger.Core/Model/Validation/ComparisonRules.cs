using System.Globalization;

namespace Flagger.Model.Validation;

/// <summary>Rules for a metric's <c>comparison</c> block and the analysis' <c>maxInconclusive</c>.</summary>
internal static class ComparisonRules
{
    public static void Validate(MetricComparison comparison, string path, ProblemList problems)
    {
        if (string.IsNullOrWhiteSpace(comparison.Method))
        {
            problems.Add($"{path}.method", $"required; {Choices(ComparisonMethods.All)}");
        }
        else if (!ComparisonMethods.All.Contains(comparison.Method))
        {
            problems.Add($"{path}.method", $"must be {Choices(ComparisonMethods.All)}, got {ProblemList.Quote(comparison.Method)}");
        }

        if (comparison.Direction is { Length: > 0 } direction && !ComparisonDirections.All.Contains(direction))
        {
            problems.Add($"{path}.direction", $"must be {Choices(ComparisonDirections.All)}, got {ProblemList.Quote(direction)}");
        }

        if (comparison.Margin is { } margin)
        {
            if (!margin.IsValid)
            {
                problems.Add($"{path}.margin", $"must be a number in the metric's unit, such as 0.5, or a percentage of the primary's value, such as 5%, got {ProblemList.Quote(margin.Text)}");
            }
            else if (margin.Value < 0)
            {
                problems.Add($"{path}.margin", $"must be 0 or more, got {ProblemList.Quote(margin.ToString())}");
            }
        }

        if (comparison.Confidence is { } confidence && !(confidence >= 0.5 && confidence < 1))
        {
            var hint = confidence is > 50 and < 100 ? $"; for {Number(confidence)}% write {Number(confidence / 100)}" : string.Empty;
            problems.Add($"{path}.confidence", $"must be at least 0.5 and below 1, such as 0.99, got {Number(confidence)}{hint}");
        }
    }

    public static void ValidateMaxInconclusive(CanaryAnalysis analysis, string path, ProblemList problems)
    {
        if (analysis.MaxInconclusive is not { } max)
        {
            return;
        }

        if (max < 1)
        {
            problems.Add($"{path}.maxInconclusive", $"must be 1 or more, got {max}");
        }
        else if (analysis.Metrics?.Any(m => m?.Comparison is not null) != true)
        {
            problems.Add($"{path}.maxInconclusive", "has no effect: no metric has a comparison block, and only comparisons are inconclusive");
        }
    }

    private static string Choices(IReadOnlyList<string> values) =>
        values.Count == 2 ? $"{values[0]} or {values[1]}" : $"{string.Join(", ", values.Take(values.Count - 1))} or {values[^1]}";

    private static string Number(double value) => value.ToString(CultureInfo.InvariantCulture);
}
