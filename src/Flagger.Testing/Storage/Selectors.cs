using System.Text.Json.Nodes;

namespace Flagger.Testing.Storage;

/// <summary>A parsed label or field selector; an empty selector matches everything.</summary>
internal sealed class Selector
{
    private readonly List<Func<Func<string, string?>, bool>> _terms = [];
    private readonly bool _fields;

    private Selector(bool fields) => _fields = fields;

    public static Selector Everything { get; } = new(false);

    /// <summary>Parses <c>a=b,c!=d,e in (x,y),f notin (z),g,!h</c>.</summary>
    public static Selector ParseLabels(string? text) => Parse(text, fields: false);

    /// <summary>Parses <c>metadata.name=x,involvedObject.kind!=Pod</c>; keys are paths into the object.</summary>
    public static Selector ParseFields(string? text) => Parse(text, fields: true);

    /// <summary>True when the selector has no terms (it matches everything).</summary>
    public bool IsEmpty => _terms.Count == 0;

    public bool Matches(JsonObject obj)
    {
        if (_terms.Count == 0)
        {
            return true;
        }

        Func<string, string?> lookup = _fields
            ? key => JsonPathLite.Evaluate(obj, key) is JsonValue v ? v.ToString() : null
            : key => obj["metadata"]?["labels"]?[key] is JsonValue v ? v.ToString() : null;
        return _terms.TrueForAll(t => t(lookup));
    }

    private static Selector Parse(string? text, bool fields)
    {
        var selector = new Selector(fields);
        if (string.IsNullOrWhiteSpace(text))
        {
            return selector;
        }

        foreach (var raw in SplitTerms(text))
        {
            var term = raw.Trim();
            if (term.Length == 0)
            {
                continue;
            }

            selector._terms.Add(ParseTerm(term, fields));
        }

        return selector;
    }

    private static Func<Func<string, string?>, bool> ParseTerm(string term, bool fields)
    {
        int i;
        if ((i = term.IndexOf("!=", StringComparison.Ordinal)) > 0)
        {
            var (k, v) = (term[..i].Trim(), term[(i + 2)..].Trim());
            // Field selectors compare to "" when the field is missing, like the real server's field sets.
            return l => (l(k) ?? (fields ? "" : null)) != v;
        }

        if ((i = term.IndexOf("==", StringComparison.Ordinal)) > 0 || (i = term.IndexOf('=')) > 0)
        {
            var width = term[i..].StartsWith("==", StringComparison.Ordinal) ? 2 : 1;
            var (k, v) = (term[..i].Trim(), term[(i + width)..].Trim());
            return l => (l(k) ?? (fields ? "" : null)) == v;
        }

        if ((i = term.IndexOf(" notin ", StringComparison.Ordinal)) > 0)
        {
            var k = term[..i].Trim();
            var set = Values(term[(i + 7)..]);
            return l => l(k) is not { } v || !set.Contains(v);
        }

        if ((i = term.IndexOf(" in ", StringComparison.Ordinal)) > 0)
        {
            var k = term[..i].Trim();
            var set = Values(term[(i + 4)..]);
            return l => l(k) is { } v && set.Contains(v);
        }

        if (term.StartsWith('!'))
        {
            var k = term[1..].Trim();
            return l => l(k) is null;
        }

        return l => l(term) is not null;
    }

    private static HashSet<string> Values(string text) =>
        [.. text.Trim().TrimStart('(').TrimEnd(')').Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];

    // Commas inside "in (a,b)" do not separate terms.
    private static IEnumerable<string> SplitTerms(string text)
    {
        var depth = 0;
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            switch (text[i])
            {
                case '(':
                    depth++;
                    break;
                case ')':
                    depth--;
                    break;
                case ',' when depth == 0:
                    yield return text[start..i];
                    start = i + 1;
                    break;
            }
        }

        yield return text[start..];
    }
}
