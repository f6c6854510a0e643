using Flagger.Model;

namespace Flagger.Webhooks;

/// <summary>Calls analysis webhooks.</summary>
public interface IWebhookClient
{
    /// <summary>POSTs the payload to the hook; success is a status of 202 or less.</summary>
    Task<WebhookResult> CallAsync(CanaryWebhook webhook, WebhookPayload payload, CancellationToken cancellationToken);
}

/// <summary>The outcome of a webhook call.</summary>
/// <param name="Succeeded">Whether the hook answered success.</param>
/// <param name="Error">The response body or transport error when it did not.</param>
public sealed record WebhookResult(bool Succeeded, string? Error = null)
{
    /// <summary>Success.</summary>
    public static WebhookResult Success { get; } = new(true);

    /// <summary>Failure with a reason.</summary>
    public static WebhookResult Failure(string error) => new(false, error);
}
