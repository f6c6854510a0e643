using System.Globalization;
using Flagger.Events;
using Flagger.Model;
using Flagger.Webhooks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Flagger.Hosting.Events;

/// <summary>
/// Wraps the event recorder (Kubernetes Events) so every event is also a JSON log line carrying the <c>canary</c>
/// field, and is posted to the operator's <c>--event-webhook</c>. A canary that declares its own <c>event</c>
/// webhooks gets those instead of the global one, as in Flagger. A failing webhook is logged, never thrown: the
/// event itself was recorded and the tick must go on.
/// </summary>
internal sealed partial class EventForwardingRecorder(
    IEventRecorder inner,
    IWebhookClient webhooks,
    IOptions<FlaggerHostOptions> options,
    TimeProvider time,
    ILogger<EventForwardingRecorder> logger) : IEventRecorder
{
    /// <summary>The name the global hook has in payloads and log lines.</summary>
    public const string HookName = "event-webhook";

    public async Task RecordAsync(Canary canary, CanaryEvent canaryEvent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(canary);
        ArgumentNullException.ThrowIfNull(canaryEvent);
        Log(canary, canaryEvent);
        await inner.RecordAsync(canary, canaryEvent, cancellationToken).ConfigureAwait(false);
        if (options.Value.EventWebhook is not { Length: > 0 } url || HasOwnEventHooks(canary))
        {
            return;
        }

        var hook = new CanaryWebhook { Name = HookName, Type = WebhookTypes.Event, Url = url };
        try
        {
            var result = await webhooks.CallAsync(hook, Payload(canary, canaryEvent), cancellationToken).ConfigureAwait(false);
            if (!result.Succeeded)
            {
                LogHookFailed(canary.Id, result.Error);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogHookFailed(canary.Id, e.Message);
        }
    }

    /// <summary>Flagger's event payload: the canary, its phase and revision checksum, and the event in the metadata.</summary>
    internal WebhookPayload Payload(Canary canary, CanaryEvent canaryEvent) => new()
    {
        Name = canary.Name,
        Namespace = canary.Namespace,
        Phase = canary.Status?.Phase?.ToString() ?? string.Empty,
        Checksum = SpecHash.ComputeChecksum(canary.Status),
        Metadata = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["eventMessage"] = canaryEvent.Message,
            ["eventType"] = canaryEvent.KubernetesType,
            ["timestamp"] = time.GetUtcNow().ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture),
        },
    };

    private static bool HasOwnEventHooks(Canary canary) =>
        canary.Spec.GetAnalysis()?.Webhooks?.Any(h => h.Type == WebhookTypes.Event) == true;

    // Flagger logs warnings at info level and errors at error level; the JSON formatter picks up the canary field.
    private void Log(Canary canary, CanaryEvent canaryEvent)
    {
        var level = canaryEvent.Severity == EventSeverity.Error ? LogLevel.Error : LogLevel.Information;
        if (!logger.IsEnabled(level))
        {
            return;
        }

        var state = new[]
        {
            new KeyValuePair<string, object?>("canary", canary.Id),
            new KeyValuePair<string, object?>("eventType", canaryEvent.KubernetesType),
        };
        logger.Log(level, new EventId(1, "CanaryEvent"), state, null, (_, _) => canaryEvent.Message);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Event webhook for canary {Canary} failed: {Error}")]
    private partial void LogHookFailed(string canary, string? error);
}
