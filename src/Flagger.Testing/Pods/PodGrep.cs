using System.Text.RegularExpressions;

namespace Flagger.Testing.Pods;

/// <summary>
/// <c>grep [-q] [-i] [-v] [-c] [-E|-F] PATTERN</c> over standard input: prints the matching lines, exits 0 when a
/// line matched, 1 when none did, 2 on a bad pattern or usage (files are not read: pods have none to offer).
/// </summary>
internal static class PodGrep
{
    public static async Task<int> RunAsync(IReadOnlyList<string> args, string stdin, Func<string, CancellationToken, Task> stdout, Func<string, CancellationToken, Task> stderr, CancellationToken ct)
    {
        bool quiet = false, ignoreCase = false, invert = false, count = false, fixedStrings = false;
        string? pattern = null;
        foreach (var a in args)
        {
            if (pattern is null && a.Length > 1 && a[0] == '-')
            {
                foreach (var flag in a[1..])
                {
                    switch (flag)
                    {
                        case 'q': quiet = true; break;
                        case 'i': ignoreCase = true; break;
                        case 'v': invert = true; break;
                        case 'c': count = true; break;
                        case 'F': fixedStrings = true; break;
                        case 'E' or 'e': break;
                        default:
                            await stderr($"grep: invalid option -- '{flag}'\n", ct).ConfigureAwait(false);
                            return 2;
                    }
                }
            }
            else
            {
                pattern ??= a;
            }
        }

        if (pattern is null)
        {
            await stderr("Usage: grep [OPTION]... PATTERNS [FILE]...\n", ct).ConfigureAwait(false);
            return 2;
        }

        Regex regex;
        try
        {
            regex = new Regex(fixedStrings ? Regex.Escape(pattern) : pattern, ignoreCase ? RegexOptions.IgnoreCase : RegexOptions.None, TimeSpan.FromSeconds(1));
        }
        catch (ArgumentException)
        {
            await stderr($"grep: Invalid regular expression\n", ct).ConfigureAwait(false);
            return 2;
        }

        var lines = stdin.Split('\n');
        if (lines.Length > 0 && lines[^1].Length == 0)
        {
            lines = lines[..^1];
        }

        var matching = lines.Where(l => regex.IsMatch(l) != invert).ToList();
        if (!quiet)
        {
            await stdout(count ? $"{matching.Count}\n" : string.Concat(matching.Select(l => l + "\n")), ct).ConfigureAwait(false);
        }

        return matching.Count > 0 ? 0 : 1;
    }
}
