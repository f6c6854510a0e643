namespace Flagger.Model.Validation;

/// <summary>Reports the second and later uses of a name in a list, pointing at the first.</summary>
internal sealed class UniqueNames(string what, string listPath)
{
    private readonly Dictionary<string, int> _firstIndex = new(StringComparer.Ordinal);

    public void Check(string? name, int index, ProblemList problems)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            return;
        }

        if (_firstIndex.TryGetValue(name, out var first))
        {
            problems.Add($"{ProblemList.Index(listPath, index)}.name", $"duplicate {what} name {ProblemList.Quote(name)}, already used by {ProblemList.Index(listPath, first)}");
        }
        else
        {
            _firstIndex.Add(name, index);
        }
    }
}
