using Flagger.Model;
using Flagger.Model.Validation;
using Flagger.Store;

namespace Flagger.Analysis.Decisions;

/// <summary>
/// Whether a MetricTemplate or AlertProvider needs its <c>Valid</c> condition written: set (status False, naming the
/// fields) while it cannot be used, removed once it is fixed, untouched when it already says so.
/// </summary>
internal static class ResourceValidity
{
    /// <summary>Reason of a condition for a spec that fails validation.</summary>
    public const string InvalidSpec = "InvalidSpec";

    /// <summary>Reason of a condition for an object whose fields cannot be read (a wrong type).</summary>
    public const string Unreadable = "Unreadable";

    // Condition messages are capped by the API (32768 for metav1.Condition) and events are read on terminals.
    private const int MaxMessage = 1024;

    /// <summary>The report to write, or null when the object's status already says what it should.</summary>
    public static ResourceReport? Review(ReferencedResource resource, ValidationOptions options, DateTimeOffset now)
    {
        var (reason, problem) = Problem(resource, options);
        var conditions = resource.Status?.Conditions ?? [];
        var current = conditions.FirstOrDefault(c => c.Type == CanaryCondition.ValidType);
        var upToDate = problem is null
            ? current is null
            : current is { Status: "False" } && current.Reason == reason && current.Message == problem;
        if (upToDate)
        {
            return null;
        }

        var next = conditions.Where(c => c.Type != CanaryCondition.ValidType).ToList();
        if (problem is not null)
        {
            next.Add(new CanaryCondition
            {
                Type = CanaryCondition.ValidType,
                Status = "False",
                Reason = reason,
                Message = problem,
                LastUpdateTime = now,
                LastTransitionTime = current is { Status: "False" } ? current.LastTransitionTime ?? now : now,
            });
        }

        return new ResourceReport(new ResourceStatus { ObservedGeneration = resource.Metadata.Generation, Conditions = next }, problem);
    }

    private static (string Reason, string? Problem) Problem(ReferencedResource resource, ValidationOptions options)
    {
        if (resource.ReadError is { } readError)
        {
            return (Unreadable, Cap($"invalid {resource.Kind}: {readError}"));
        }

        var problems = resource switch
        {
            { MetricTemplate: { } template } => MetricTemplateValidator.Validate(template, options),
            { AlertProvider: { } provider } => AlertProviderValidator.Validate(provider, options),
            _ => [],
        };
        return (InvalidSpec, problems.Count == 0 ? null : Cap($"invalid {resource.Kind} spec: {string.Join("; ", problems)}"));
    }

    private static string Cap(string message) =>
        message.Length <= MaxMessage ? message : string.Concat(message.AsSpan(0, MaxMessage - 3), "...");
}
