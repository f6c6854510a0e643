using System.Text.RegularExpressions;

namespace ConsumerCheck;

/// <summary>
/// Every README code block marked <c>&lt;!-- snippet: NAME --&gt;</c> must equal the region NAME of this project's
/// sources, so the README shows only code that compiles against the packages.
/// </summary>
public static partial class SnippetCheck
{
    public static IReadOnlyList<string> Problems(string readmePath, string sourceDirectory)
    {
        var regions = Directory.EnumerateFiles(sourceDirectory, "*.cs")
            .SelectMany(f => RegionPattern().Matches(File.ReadAllText(f)))
            .ToDictionary(m => m.Groups["name"].Value, m => Normalise(m.Groups["body"].Value));
        var blocks = BlockPattern().Matches(File.ReadAllText(readmePath))
            .ToDictionary(m => m.Groups["name"].Value, m => Normalise(m.Groups["body"].Value));

        var problems = new List<string>();
        foreach (var (name, code) in regions)
        {
            if (!blocks.TryGetValue(name, out var shown))
            {
                problems.Add($"README.md has no block for snippet '{name}': add '<!-- snippet: {name} -->' before a ```csharp block");
            }
            else if (shown != code)
            {
                problems.Add($"README.md snippet '{name}' differs from eng/ConsumerCheck; copy the region's text:\n{code}");
            }
        }

        problems.AddRange(blocks.Keys.Except(regions.Keys).Select(n => $"README.md snippet '{n}' has no region in eng/ConsumerCheck: it is not compiled"));
        return problems;
    }

    // Indentation is the region's, not the README's: compare dedented lines.
    private static string Normalise(string code)
    {
        var lines = code.Replace("\r", "", StringComparison.Ordinal).Split('\n').Select(l => l.TrimEnd()).ToList();
        while (lines.Count > 0 && lines[0].Length == 0) lines.RemoveAt(0);
        while (lines.Count > 0 && lines[^1].Length == 0) lines.RemoveAt(lines.Count - 1);
        var indent = lines.Where(l => l.Length > 0).Select(l => l.Length - l.TrimStart().Length).DefaultIfEmpty(0).Min();
        return string.Join('\n', lines.Select(l => l.Length >= indent ? l[indent..] : l));
    }

    [GeneratedRegex(@"// begin-snippet: (?<name>[\w-]+)\r?\n(?<body>.*?)^\s*// end-snippet", RegexOptions.Singleline | RegexOptions.Multiline)]
    private static partial Regex RegionPattern();

    [GeneratedRegex(@"<!-- snippet: (?<name>[\w-]+) -->\s*```csharp\r?\n(?<body>.*?)```", RegexOptions.Singleline)]
    private static partial Regex BlockPattern();
}
