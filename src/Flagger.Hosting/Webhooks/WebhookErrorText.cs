using System.Text;
using System.Text.RegularExpressions;
using Flagger.Model;

namespace Flagger.Hosting.Webhooks;

/// <summary>
/// Makes a failed hook's answer fit for an event, a status message and an alert: bounded (a receiver may answer
/// with a whole HTML error page or a stack trace) and redacted (a receiver may echo the request, and with it the
/// token the hook's metadata or address carries).
/// </summary>
internal static partial class WebhookErrorText
{
    /// <summary>The most characters of a receiver's answer kept; events are capped at 1 KiB by the API server anyway.</summary>
    public const int MaxLength = 512;

    /// <summary>What a secret is replaced with.</summary>
    public const string Redacted = "[redacted]";

    /// <summary>Appended where an answer was cut.</summary>
    public const string CutMark = " ... (cut)";

    // Metadata keys whose values are credentials by name (Flagger's own examples use "token" and "authorization").
    private static readonly string[] SecretKeyParts = ["token", "secret", "password", "passwd", "auth", "bearer", "credential", "apikey", "api-key", "api_key"];

    /// <summary>Redacts the hook's secrets from <paramref name="text"/>, then cuts it to <see cref="MaxLength"/>.</summary>
    public static string Clean(string text, CanaryWebhook webhook)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(webhook);
        var clean = new StringBuilder(text);
        foreach (var secret in Secrets(webhook).OrderByDescending(s => s.Length))
        {
            clean.Replace(secret, Redacted);
        }

        var result = UrlSecrets().Replace(clean.ToString(), m => m.Groups["keep"].Value + Redacted);
        result = result.Trim();
        return result.Length <= MaxLength ? result : string.Concat(result.AsSpan(0, MaxLength), CutMark);
    }

    /// <summary>The hook's address with its user information and query values replaced, for messages that name it.</summary>
    public static string Address(string? url) => url is null ? string.Empty : UrlSecrets().Replace(url, m => m.Groups["keep"].Value + Redacted);

    private static IEnumerable<string> Secrets(CanaryWebhook webhook)
    {
        foreach (var (key, value) in webhook.Metadata ?? new Dictionary<string, string>())
        {
            // Short values ("on", "1") would redact ordinary words of the answer; no credential is that short.
            if (value.Length >= 4 && SecretKeyParts.Any(p => key.Contains(p, StringComparison.OrdinalIgnoreCase)))
            {
                yield return value;
            }
        }

        if (Uri.TryCreate(webhook.Url, UriKind.Absolute, out var url))
        {
            if (url.UserInfo.Length > 0)
            {
                yield return url.UserInfo;
            }

            foreach (var pair in url.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
            {
                var value = pair[(pair.IndexOf('=', StringComparison.Ordinal) + 1)..];
                if (value.Length >= 4)
                {
                    yield return value;
                    yield return Uri.UnescapeDataString(value);
                }
            }
        }
    }

    // The user information of any URL in the text ("http://user:pass@host") and the values of its query ("?token=x").
    [GeneratedRegex(@"(?<keep>[a-zA-Z][a-zA-Z0-9+.-]*://)[^/\s@]+(?=@)|(?<keep>[?&][^=&\s#]+=)[^&\s#'""]+")]
    private static partial Regex UrlSecrets();
}
