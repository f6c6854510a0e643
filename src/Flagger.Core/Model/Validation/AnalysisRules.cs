using System.Text.Json;
using System.Text.RegularExpressions;

namespace Flagger.Model.Validation;

/// <summary>Rules for the analysis block's scalar fields: interval, threshold, weights, iterations, session affinity.</summary>
internal static partial class AnalysisRules
{
    public static void Validate(CanaryAnalysis analysis, AnalysisContext context)
    {
        var (path, problems) = (context.Path, context.Problems);

        // Flagger's CRD allows only seconds and minutes here; anything else is read as 60s without a word. The
        // bound keeps the schedule's wait within what a timer holds.
        if (!string.IsNullOrEmpty(analysis.Interval))
        {
            var parse = GoDuration.Parse(analysis.Interval, out var interval);
            if (!IntervalPattern().IsMatch(analysis.Interval) || parse == DurationParse.Malformed)
            {
                problems.Add($"{path}.interval", $"must be a duration in seconds or minutes such as 30s or 1m, got {ProblemList.Quote(analysis.Interval)}");
            }
            else if (parse == DurationParse.TooLarge || interval > FieldLimits.MaxInterval)
            {
                problems.AtMost($"{path}.interval", analysis.Interval, FieldLimits.MaxInterval);
            }
        }

        problems.NotNegative($"{path}.threshold", analysis.Threshold);
        problems.NotNegative($"{path}.iterations", analysis.Iterations);
        ComparisonRules.ValidateMaxInconclusive(analysis, path, problems);
        ValidateWeights(analysis, path, problems);
        problems.InRange($"{path}.stepWeightPromotion", analysis.StepWeightPromotion, 0, AnalysisDefaults.TotalWeight);
        problems.InRange($"{path}.mirrorWeight", analysis.MirrorWeight, 0, AnalysisDefaults.TotalWeight);
        problems.InRange($"{path}.primaryReadyThreshold", analysis.PrimaryReadyThreshold ?? 0, 0, 100);
        problems.InRange($"{path}.canaryReadyThreshold", analysis.CanaryReadyThreshold ?? 0, 0, 100);

        // Difference 4 in the README: Flagger accepts such a canary and then holds it at weight 0 forever. A router that
        // cannot shift weights (the kubernetes provider) is the exception: it runs Blue/Green and gives a canary without
        // iterations ten of them.
        if (!context.SkipAnalysis && !IsWeightless(context) && analysis.StepWeight == 0 && analysis.StepWeights is not { Count: > 0 } && analysis.Iterations == 0)
        {
            problems.Add(path, "can never advance: set stepWeight (with maxWeight) or stepWeights for a canary release, or iterations for Blue/Green and A/B testing");
        }

        if (analysis.Match is { ValueKind: not (JsonValueKind.Array or JsonValueKind.Null) })
        {
            problems.Add($"{path}.match", "must be a list of match conditions");
        }

        if (analysis.SessionAffinity is { } affinity)
        {
            ValidateSessionAffinity(affinity, $"{path}.sessionAffinity", problems);
        }
    }

    private static void ValidateWeights(CanaryAnalysis analysis, string path, ProblemList problems)
    {
        // 0 means "not set" for both: the model cannot tell an explicit 0 from an absent field.
        problems.ZeroOrRange($"{path}.stepWeight", analysis.StepWeight, AnalysisDefaults.TotalWeight);
        problems.ZeroOrRange($"{path}.maxWeight", analysis.MaxWeight, AnalysisDefaults.TotalWeight);
        if (analysis is { StepWeight: > 0 and <= 100, MaxWeight: > 0 and <= 100 } && analysis.MaxWeight < analysis.StepWeight)
        {
            problems.Add($"{path}.maxWeight", $"must be at least stepWeight ({analysis.StepWeight}), got {analysis.MaxWeight}");
        }

        var steps = analysis.StepWeights ?? [];
        for (var i = 0; i < steps.Count; i++)
        {
            var stepPath = ProblemList.Index($"{path}.stepWeights", i);
            if (steps[i] is < 1 or > 100)
            {
                problems.Add(stepPath, $"must be 1..100, got {steps[i]}");
            }
            else if (i > 0 && steps[i] <= steps[i - 1])
            {
                problems.Add(stepPath, $"must be greater than the step before it ({steps[i - 1]}), got {steps[i]}");
            }
        }
    }

    private static void ValidateSessionAffinity(SessionAffinity affinity, string path, ProblemList problems)
    {
        problems.Required($"{path}.cookieName", affinity.CookieName, "the cookie that pins a user to the canary");

        // With one name for both cookies a user could never leave the canary.
        if (!string.IsNullOrEmpty(affinity.CookieName) && affinity.PrimaryCookieName == affinity.CookieName)
        {
            problems.Add($"{path}.primaryCookieName", $"must differ from cookieName, both are {ProblemList.Quote(affinity.CookieName)}");
        }

        if (!string.IsNullOrEmpty(affinity.SameSite) && affinity.SameSite is not ("Strict" or "Lax" or "None"))
        {
            problems.Add($"{path}.sameSite", $"must be Strict, Lax or None, got {ProblemList.Quote(affinity.SameSite)}");
        }

        problems.NotNegative($"{path}.maxAge", affinity.MaxAge);
    }

    // Minutes, then seconds, each optional: 30s, 1m, 1m30s (Flagger's CRD pattern, anchored at both ends).
    [GeneratedRegex("^([0-9]+m)?([0-9]+s)?$", RegexOptions.CultureInvariant)]
    private static partial Regex IntervalPattern();

    private static bool IsWeightless(AnalysisContext context) =>
        context.Provider is { Length: > 0 } provider && context.Options.MeshProvidersWithoutWeights.Contains(provider);
}
