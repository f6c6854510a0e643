using Flagger.Events;
using Flagger.Model;
using Flagger.Webhooks;

namespace EmbeddedEngine.Ports;

/// <summary>Events go to the pipeline's log; the pipeline's canaries declare no webhooks.</summary>
internal sealed class PipelineLog(TextWriter output) : IEventRecorder, IWebhookClient
{
    public List<CanaryEvent> Events { get; } = [];

    public Task RecordAsync(Canary canary, CanaryEvent canaryEvent, CancellationToken cancellationToken)
    {
        Events.Add(canaryEvent);
        output.WriteLine($"  {canaryEvent.KubernetesType,-7} {canaryEvent.Message}");
        return Task.CompletedTask;
    }

    public Task<WebhookResult> CallAsync(CanaryWebhook webhook, WebhookPayload payload, CancellationToken cancellationToken) =>
        Task.FromResult(WebhookResult.Failure($"webhook '{webhook.Name}': this pipeline runs no webhooks; remove it from the Canary"));
}
