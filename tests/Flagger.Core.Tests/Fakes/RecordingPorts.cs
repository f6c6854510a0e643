using Flagger.Events;
using Flagger.Model;
using Flagger.Notifications;
using Flagger.Webhooks;

namespace Flagger.Fakes;

/// <summary>Keeps every event, as <c>kubectl describe canary</c> would show them.</summary>
public sealed class RecordingEventRecorder : IEventRecorder
{
    public List<CanaryEvent> Events { get; } = [];

    public IEnumerable<string> Lines => Events.Select(e => e.ToString());

    /// <summary>When set, every write fails as a busy API server would.</summary>
    public bool Unreachable { get; set; }

    public Task RecordAsync(Canary canary, CanaryEvent canaryEvent, CancellationToken cancellationToken)
    {
        if (Unreachable)
        {
            throw new HttpRequestException("the server is currently unable to handle the request");
        }

        Events.Add(canaryEvent);
        return Task.CompletedTask;
    }
}

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

/// <summary>A chat service that keeps what it was sent.</summary>
public sealed class RecordingNotifier : INotifier, INotifierFactory
{
    public List<Notification> Sent { get; } = [];

    public List<NotifierSettings> Created { get; } = [];

    public INotifier Create(NotifierSettings settings)
    {
        Created.Add(settings);
        return this;
    }

    public Task PostAsync(Notification notification, CancellationToken cancellationToken)
    {
        Sent.Add(notification);
        return Task.CompletedTask;
    }
}
