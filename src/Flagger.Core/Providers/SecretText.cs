using System.Text;

namespace Flagger.Providers;

/// <summary>
/// Keeps credentials out of what the operator writes where others read it: events, status, alerts, logs and
/// exception messages. Providers quote an address with <see cref="Address"/>, and pass an answer from a remote
/// server through <see cref="Redact"/> with the secrets they sent it, since a receiver or a proxy in front of it
/// may echo the request back in its error page.
/// </summary>
public static class SecretText
{
    /// <summary>What a secret is replaced with.</summary>
    public const string Redacted = "[redacted]";

    // A value this short ("on", "1") would redact ordinary words of a message; no credential is that short.
    private const int ShortestSecret = 4;

    /// <summary>
    /// <paramref name="address"/> as it can be shown: its user information (<c>user:pass@</c>) and every query value
    /// (<c>?token=…</c>) replaced. Works on text that is not a valid URL too, since a bad address is reported as
    /// written.
    /// </summary>
    public static string Address(string? address)
    {
        var text = address ?? string.Empty;
        var scheme = text.IndexOf("://", StringComparison.Ordinal);
        var authorityStart = scheme >= 0 ? scheme + 3 : 0;
        var authorityEnd = text.IndexOfAny(['/', '?', '#'], authorityStart);
        authorityEnd = authorityEnd < 0 ? text.Length : authorityEnd;
        var at = authorityEnd > authorityStart ? text.LastIndexOf('@', authorityEnd - 1, authorityEnd - authorityStart) : -1;
        if (at >= 0)
        {
            text = string.Concat(text.AsSpan(0, authorityStart), Redacted, text.AsSpan(at));
        }

        var query = text.IndexOf('?', StringComparison.Ordinal);
        if (query < 0)
        {
            return text;
        }

        var fragment = text.IndexOf('#', query);
        var end = fragment < 0 ? text.Length : fragment;
        var pairs = text[(query + 1)..end].Split('&').Select(p => p.IndexOf('=', StringComparison.Ordinal) is var eq and >= 0 ? string.Concat(p.AsSpan(0, eq + 1), Redacted) : p);
        return string.Concat(text.AsSpan(0, query + 1), string.Join('&', pairs), text.AsSpan(end));
    }

    /// <summary>
    /// The parts of <paramref name="address"/> that may be a credential: its user information and query values and,
    /// with <paramref name="includePath"/>, its path segments (a chat service's incoming-webhook address is itself
    /// the credential). Feed them to <see cref="Redact"/>.
    /// </summary>
    public static IEnumerable<string> SecretsOf(string? address, bool includePath = false)
    {
        if (!Uri.TryCreate(address, UriKind.Absolute, out var url))
        {
            yield break;
        }

        if (url.UserInfo.Length > 0)
        {
            yield return url.UserInfo;
            foreach (var part in url.UserInfo.Split(':'))
            {
                yield return part;
            }
        }

        foreach (var pair in url.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            yield return pair[(pair.IndexOf('=', StringComparison.Ordinal) + 1)..];
        }

        if (includePath)
        {
            yield return url.AbsolutePath;
            foreach (var segment in url.AbsolutePath.Split('/', StringSplitOptions.RemoveEmptyEntries))
            {
                yield return segment;
            }
        }
    }

    /// <summary>
    /// <paramref name="text"/> with every one of <paramref name="secrets"/> replaced, as written, URL-escaped and
    /// URL-unescaped; then every URL in it shown as <see cref="Address"/> shows one. Values shorter than four
    /// characters are left alone.
    /// </summary>
    public static string Redact(string text, IEnumerable<string?> secrets)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(secrets);
        var forms = secrets
            .Where(s => s is { Length: >= ShortestSecret })
            .SelectMany(s => new[] { s!, Uri.EscapeDataString(s!), Unescaped(s!) })
            .Where(s => s.Length >= ShortestSecret)
            .Distinct(StringComparer.Ordinal)
            .OrderByDescending(s => s.Length); // a secret that contains another goes first, whole
        var clean = new StringBuilder(text);
        foreach (var form in forms)
        {
            clean.Replace(form, Redacted);
        }

        return RedactUrls(clean.ToString());
    }

    // Every "scheme://..." run of the text, shown without its user information and query values.
    private static string RedactUrls(string text)
    {
        var scheme = text.IndexOf("://", StringComparison.Ordinal);
        if (scheme < 0)
        {
            return text;
        }

        var result = new StringBuilder(text.Length);
        var done = 0;
        while (scheme >= 0)
        {
            var start = scheme;
            while (start > done && IsSchemeChar(text[start - 1]))
            {
                start--;
            }

            var end = text.IndexOfAny([' ', '\t', '\n', '\r', '"', '\'', '<', '>', '`'], scheme);
            end = end < 0 ? text.Length : end;
            result.Append(text, done, start - done).Append(Address(text[start..end]));
            done = end;
            scheme = text.IndexOf("://", done, StringComparison.Ordinal);
        }

        return result.Append(text, done, text.Length - done).ToString();
    }

    private static bool IsSchemeChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '+' or '.' or '-';

    private static string Unescaped(string value)
    {
        try
        {
            return Uri.UnescapeDataString(value);
        }
        catch (UriFormatException)
        {
            return value;
        }
    }
}
