using Flagger.Model;
using Flagger.Providers;

namespace Flagger.Hosting.Webhooks;

/// <summary>
/// Makes a failed hook's answer fit for an event, a status message and an alert: bounded (a receiver may answer
/// with a whole HTML error page or a stack trace) and redacted (a receiver may echo the request, and with it the
/// token the hook's metadata or address carries).
/// </summary>
internal static class WebhookErrorText
{
    /// <summary>The most characters of a receiver's answer kept; events are capped at 1 KiB by the API server anyway.</summary>
    public const int MaxLength = 512;

    /// <summary>What a secret is replaced with.</summary>
    public const string Redacted = SecretText.Redacted;

    /// <summary>Appended where an answer was cut.</summary>
    public const string CutMark = " ... (cut)";

    // Metadata keys whose values are credentials by name (Flagger's own examples use "token" and "authorization").
    private static readonly string[] SecretKeyParts = ["token", "secret", "password", "passwd", "auth", "bearer", "credential", "apikey", "api-key", "api_key"];

    /// <summary>Redacts the hook's secrets from <paramref name="text"/>, then cuts it to <see cref="MaxLength"/>.</summary>
    public static string Clean(string text, CanaryWebhook webhook)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(webhook);
        var result = SecretText.Redact(text, Secrets(webhook)).Trim();
        return result.Length <= MaxLength ? result : string.Concat(result.AsSpan(0, MaxLength), CutMark);
    }

    /// <summary>The hook's address with its user information and query values replaced, for messages that name it.</summary>
    public static string Address(string? url) => url is null ? string.Empty : SecretText.Address(url);

    private static IEnumerable<string> Secrets(CanaryWebhook webhook) =>
        (webhook.Metadata ?? new Dictionary<string, string>())
            .Where(m => SecretKeyParts.Any(p => m.Key.Contains(p, StringComparison.OrdinalIgnoreCase)))
            .Select(m => m.Value)
            .Concat(SecretText.SecretsOf(webhook.Url));
}
