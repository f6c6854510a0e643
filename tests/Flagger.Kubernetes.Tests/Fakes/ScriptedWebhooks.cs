using Flagger.Model;
using Flagger.Webhooks;

namespace Flagger.Fakes;

/// <summary>Webhook receivers whose answers the test decides, by hook name; every call is kept.</summary>
public sealed class ScriptedWebhooks : IWebhookClient
{
    public Dictionary<string, WebhookResult> Answers { get; } = [];

    public List<(CanaryWebhook Hook, WebhookPayload Payload)> Calls { get; } = [];

    public Task<WebhookResult> CallAsync(CanaryWebhook webhook, WebhookPayload payload, CancellationToken cancellationToken)
    {
        Calls.Add((webhook, payload));
        return Task.FromResult(Answers.GetValueOrDefault(webhook.Name ?? string.Empty, WebhookResult.Success));
    }
}
