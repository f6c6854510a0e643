using Flagger.Model;
using Flagger.Model.Validation;

namespace Flagger.Tests.Model.Validation;

/// <summary>Validates edited copies of the walkthrough canary and checks for one problem by path and message.</summary>
internal static class ValidationAssert
{
    public static IReadOnlyList<ValidationProblem> ValidateEdited(string edits, ValidationOptions? options = null, string? baseJson = null) =>
        CanaryValidator.Validate(FlaggerJson.DeserializeCanary(JsonEdit.Apply(baseJson ?? WalkthroughCanary.V1Beta1Json, edits)), options);

    public static void HasProblem(IReadOnlyList<ValidationProblem> problems, string path, string message)
    {
        var atPath = problems.Where(p => p.Path == path).ToList();
        Assert.True(
            atPath.Any(p => p.Message.Contains(message, StringComparison.Ordinal)),
            $"expected a problem at '{path}' containing '{message}', got:\n  {string.Join("\n  ", problems)}");
    }
}
