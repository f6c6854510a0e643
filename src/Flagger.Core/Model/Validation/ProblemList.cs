using System.Globalization;
using Flagger.Providers;

namespace Flagger.Model.Validation;

/// <summary>Collects problems so that one pass reports all of them, not only the first.</summary>
internal sealed class ProblemList
{
    private const int MaxQuoted = 100;

    private readonly List<ValidationProblem> _problems = [];

    public IReadOnlyList<ValidationProblem> Problems => _problems;

    public void Add(string path, string message) => _problems.Add(new ValidationProblem(path, message));

    public void Required(string path, string? value, string? hint = null)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            Add(path, hint is null ? "required" : $"required; {hint}");
        }
    }

    /// <summary>A percentage or count that must lie in <paramref name="min"/>..<paramref name="max"/>.</summary>
    public void InRange(string path, long value, long min, long max)
    {
        if (value < min || value > max)
        {
            Add(path, $"must be {min}..{max}, got {value}");
        }
    }

    /// <summary>
    /// A field whose 0 means "not set" (stepWeight, maxWeight): 0 passes, any other value must be 1..max, and the
    /// message names the range the user is expected to write.
    /// </summary>
    public void ZeroOrRange(string path, int value, int max)
    {
        if (value != 0)
        {
            InRange(path, value, 1, max);
        }
    }

    public void NotNegative(string path, long value)
    {
        if (value < 0)
        {
            Add(path, $"must be 0 or more, got {value}");
        }
    }

    /// <summary>
    /// A duration Flagger parses with Go's time.ParseDuration, at most <paramref name="max"/>; empty means "use the
    /// default".
    /// </summary>
    public void Duration(string path, string? value, string example, TimeSpan max)
    {
        if (value is null || value.Length == 0)
        {
            return;
        }

        switch (GoDuration.Parse(value, out var duration))
        {
            case DurationParse.Malformed:
                Add(path, $"must be a duration such as {example}, got {Quote(value)}");
                break;
            case DurationParse.TooLarge:
                AtMost(path, value, max);
                break;
            case DurationParse.Parsed when duration > max:
                AtMost(path, value, max);
                break;
        }
    }

    /// <summary>
    /// A name the operator derives <c>-primary</c> and <c>-canary</c> objects and label values from: a real API
    /// server refuses those past 63 characters on every tick, so it is reported here once, with the limit.
    /// </summary>
    public void DerivedName(string path, string? name)
    {
        if (name is { Length: > FieldLimits.MaxTargetNameLength })
        {
            Add(path, string.Create(CultureInfo.InvariantCulture, $"must be at most {FieldLimits.MaxTargetNameLength} characters, so that its -primary and -canary names fit Kubernetes' {FieldLimits.MaxDerivedNameLength}-character limit, got {Quote(name)} ({name.Length} characters)"));
        }
    }

    /// <summary>A duration longer than its field's bound; the message names the bound.</summary>
    public void AtMost(string path, string value, TimeSpan max) =>
        Add(path, $"must be at most {GoDuration.Format(max)}, got {Quote(value)}");

    /// <summary>
    /// A reference that names a namespace other than the canary's, when the operator blocks those. The message is
    /// Flagger's, so users searching for it find this.
    /// </summary>
    public void SameNamespace(string path, ObjectReference reference, string? canaryNamespace, string what, ValidationOptions options)
    {
        var referenced = reference.Namespace;
        if (options.NoCrossNamespaceRefs && !string.IsNullOrEmpty(referenced) &&
            !string.Equals(referenced, canaryNamespace, StringComparison.Ordinal))
        {
            Add(path, $"can't access {what} {referenced}/{reference.Name}, cross-namespace references are blocked");
        }
    }

    public static bool IsHttpAddress(string value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) &&
        (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps) &&
        !string.IsNullOrEmpty(uri.Host);

    /// <summary>Quotes a value the user wrote; a huge one is cut, saying how long it was, so messages stay readable.</summary>
    public static string Quote(string? value) => value is { Length: > MaxQuoted }
        ? string.Create(CultureInfo.InvariantCulture, $"'{value.AsSpan(0, MaxQuoted)}...' ({value.Length} characters)")
        : $"'{value}'";

    /// <summary>
    /// Quotes an address that failed validation without what may be a credential in it (user info, query values),
    /// so the message can go into events and status.
    /// </summary>
    public static string QuoteAddress(string? value) => Quote(SecretText.Address(value));

    public static string Index(string path, int index) => string.Create(CultureInfo.InvariantCulture, $"{path}[{index}]");

    public static string List(IEnumerable<string> values) => string.Join(", ", values);
}
