using System.Globalization;

namespace Flagger.Model;

/// <summary>Durations written the way Flagger's manifests write them (<c>1m</c>, <c>30s</c>, <c>1m30s</c>, <c>500ms</c>).</summary>
public static class GoDuration
{
    /// <summary>
    /// Parses a duration; false for an empty, negative or malformed value, and for one too large for a
    /// <see cref="TimeSpan"/> (Go's parser refuses those as well, where a <see cref="TimeSpan"/> would throw).
    /// </summary>
    public static bool TryParse(string? text, out TimeSpan duration) => Parse(text, out duration) == DurationParse.Parsed;

    /// <summary>Parses a duration, telling a malformed value from one that is well formed but too large.</summary>
    internal static DurationParse Parse(string? text, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        if (string.IsNullOrWhiteSpace(text))
        {
            return DurationParse.Malformed;
        }

        var span = text.AsSpan().Trim();
        var total = 0d;
        while (!span.IsEmpty)
        {
            var digits = 0;
            while (digits < span.Length && (char.IsAsciiDigit(span[digits]) || span[digits] == '.'))
            {
                digits++;
            }

            if (digits == 0 || !double.TryParse(span[..digits], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
            {
                return DurationParse.Malformed;
            }

            span = span[digits..];
            var unit = 0;
            while (unit < span.Length && char.IsAsciiLetter(span[unit]))
            {
                unit++;
            }

            double? milliseconds = span[..unit] switch
            {
                "ms" => 1,
                "s" => 1_000,
                "m" => 60_000,
                "h" => 3_600_000,
                _ => null,
            };
            if (milliseconds is null)
            {
                return DurationParse.Malformed;
            }

            total += number * milliseconds.Value;
            span = span[unit..];
        }

        // 99999999999999m is well formed; TimeSpan.FromMilliseconds would throw on it, and a huge digit string
        // parses as infinity. Both are "too large", never an exception on input from a manifest.
        if (!double.IsFinite(total) || total >= TimeSpan.MaxValue.TotalMilliseconds)
        {
            return DurationParse.TooLarge;
        }

        duration = TimeSpan.FromMilliseconds(total);
        return DurationParse.Parsed;
    }

    /// <summary>Formats a duration as Go prints it: <c>1m0s</c>, <c>30s</c>, <c>1.515s</c>, <c>500ms</c>.</summary>
    public static string Format(TimeSpan duration)
    {
        if (duration == TimeSpan.Zero)
        {
            return "0s";
        }

        if (duration < TimeSpan.FromSeconds(1))
        {
            return $"{FormatNumber(duration.TotalMilliseconds)}ms";
        }

        var text = string.Empty;
        if (duration.TotalHours >= 1)
        {
            text += $"{(int)duration.TotalHours}h";
        }

        if (duration.TotalMinutes >= 1)
        {
            text += $"{duration.Minutes}m";
        }

        var seconds = duration.Seconds + (duration.TotalSeconds - Math.Floor(duration.TotalSeconds));
        return text + $"{FormatNumber(seconds)}s";
    }

    private static string FormatNumber(double value) =>
        Math.Round(value, 9).ToString("0.#########", CultureInfo.InvariantCulture);
}

/// <summary>How parsing a duration went.</summary>
internal enum DurationParse
{
    /// <summary>A duration.</summary>
    Parsed,

    /// <summary>Not a duration at all.</summary>
    Malformed,

    /// <summary>Well formed, but beyond what a <see cref="TimeSpan"/> holds.</summary>
    TooLarge,
}
