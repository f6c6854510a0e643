namespace Flagger.Model.Validation;

/// <summary>One thing wrong with a resource: the field the user wrote and a sentence saying what to change.</summary>
/// <param name="Path">Field path as written in the manifest, such as <c>spec.analysis.stepWeight</c>.</param>
/// <param name="Message">What is wrong, such as <c>must be 1..100, got 0</c>.</param>
public sealed record ValidationProblem(string Path, string Message)
{
    /// <summary><c>&lt;path&gt;: &lt;message&gt;</c>, the form shown in events and on the Canary's status.</summary>
    public override string ToString() => $"{Path}: {Message}";
}
