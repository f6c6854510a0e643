using System.Globalization;

namespace Flagger.Model;

/// <summary>Durations written the way Flagger's manifests write them (<c>1m</c>, <c>30s</c>, <c>1m30s</c>, <c>500ms</c>).</summary>
public static class GoDuration
{
    /// <summary>Parses a duration; false for an empty, negative or malformed value.</summary>
    public static bool TryParse(string? text, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
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
                return false;
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
                return false;
            }

            total += number * milliseconds.Value;
            span = span[unit..];
        }

        duration = TimeSpan.FromMilliseconds(total);
        return true;
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
