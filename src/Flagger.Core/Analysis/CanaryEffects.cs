using System.Globalization;
using Flagger.Analysis.Decisions;
using Flagger.Events;
using Flagger.Model;
using Flagger.Notifications;
using Flagger.Providers;
using Flagger.Store;
using Flagger.Webhooks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Flagger.Analysis;

/// <summary>The engine's side effects that are not the target's or the router's: events, alerts and webhooks.</summary>
internal sealed partial class CanaryEffects(
    IEventRecorder recorder,
    IWebhookClient webhooks,
    ICanaryStore store,
    ProviderResolver providers,
    IOptions<EngineOptions> options,
    ISecretReader? secrets = null,
    INotifier? globalNotifier = null,
    ILoggerFactory? loggerFactory = null)
{
    private readonly ILogger logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<CanaryEngine>();

    /// <summary>Records an event and forwards it to the canary's <c>event</c> webhooks.</summary>
    public async Task EmitAsync(TickContext tick, EventSeverity severity, string message, CancellationToken cancellationToken)
    {
        var canaryEvent = new CanaryEvent(severity, message);
        tick.AddEvent(canaryEvent);
        try
        {
            await recorder.RecordAsync(tick.Current, canaryEvent, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // An event the API server would not take must not undo the tick: what it reports is done (traffic
            // moved, say), and the status write that records it is still to come. Flagger's recorder never fails
            // a reconcile either.
            LogEventNotRecorded(tick.Canary.Id, message, e.Message);
        }

        foreach (var hook in Hooks(tick, WebhookTypes.Event))
        {
            var metadata = new Dictionary<string, string>(hook.Metadata ?? new Dictionary<string, string>())
            {
                ["eventMessage"] = message,
                ["eventType"] = canaryEvent.KubernetesType,
                ["timestamp"] = tick.Now.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture),
            };
            var result = await webhooks.CallAsync(hook, Payload(tick, metadata), cancellationToken).ConfigureAwait(false);
            if (!result.Succeeded)
            {
                LogEventHookFailed(tick.Canary.Id, hook.Name, result.Error);
            }
        }
    }

    public Task InfoAsync(TickContext tick, string message, CancellationToken cancellationToken) =>
        EmitAsync(tick, EventSeverity.Info, message, cancellationToken);

    public Task WarnAsync(TickContext tick, string message, CancellationToken cancellationToken) =>
        EmitAsync(tick, EventSeverity.Warning, message, cancellationToken);

    public Task ErrorAsync(TickContext tick, string message, CancellationToken cancellationToken) =>
        EmitAsync(tick, EventSeverity.Error, message, cancellationToken);

    /// <summary>
    /// Runs the hooks of a gate type in order; the first that fails closes the gate. Returns the failing hook
    /// and its error, or null when the gate is open.
    /// </summary>
    public async Task<(CanaryWebhook Hook, string Error)?> RunGateAsync(TickContext tick, string type, CancellationToken cancellationToken)
    {
        foreach (var hook in Hooks(tick, type))
        {
            var result = await webhooks.CallAsync(hook, Payload(tick, hook.Metadata), cancellationToken).ConfigureAwait(false);
            if (!result.Succeeded)
            {
                return (hook, result.Error ?? string.Empty);
            }
        }

        return null;
    }

    /// <summary>Calls every hook of a type and returns each result, for hooks that report rather than gate.</summary>
    public async Task<IReadOnlyList<(CanaryWebhook Hook, WebhookResult Result)>> CallAllAsync(TickContext tick, string type, CancellationToken cancellationToken)
    {
        var results = new List<(CanaryWebhook, WebhookResult)>();
        foreach (var hook in Hooks(tick, type))
        {
            results.Add((hook, await webhooks.CallAsync(hook, Payload(tick, hook.Metadata), cancellationToken).ConfigureAwait(false)));
        }

        return results;
    }

    public static IEnumerable<CanaryWebhook> Hooks(TickContext tick, string type) =>
        (tick.Analysis?.Webhooks ?? []).Where(h => (string.IsNullOrEmpty(h.Type) ? WebhookTypes.Rollout : h.Type) == type);

    /// <summary>
    /// Sends an alert to the canary's alert providers whose severity admits it, or to the operator's global
    /// notifier when the canary has none. A failing provider is logged; it never stops the tick.
    /// </summary>
    public async Task AlertAsync(TickContext tick, string message, AlertSeverity severity, bool withMetadata, CancellationToken cancellationToken)
    {
        var notification = new Notification(tick.Canary.Name, tick.Canary.Namespace, message, Fields(tick, withMetadata), severity);
        var alerts = tick.Analysis?.Alerts ?? [];
        if (alerts.Count == 0)
        {
            if (globalNotifier is not null)
            {
                await PostAsync(tick, "global", globalNotifier, notification, cancellationToken).ConfigureAwait(false);
            }

            return;
        }

        foreach (var alert in alerts.Where(a => AlertRouting.Receives(a.Severity, severity)))
        {
            try
            {
                var notifier = await CreateNotifierAsync(tick.Canary, alert, cancellationToken).ConfigureAwait(false);
                await PostAsync(tick, alert.Name, notifier, notification, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogAlertFailed(tick.Canary.Id, alert.Name, e.Message);
            }
        }
    }

    private async Task PostAsync(TickContext tick, string? alert, INotifier notifier, Notification notification, CancellationToken cancellationToken)
    {
        try
        {
            await notifier.PostAsync(notification, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogAlertFailed(tick.Canary.Id, alert, e.Message);
        }
    }

    private async Task<INotifier> CreateNotifierAsync(Canary canary, CanaryAlert alert, CancellationToken cancellationToken)
    {
        var ns = string.IsNullOrEmpty(alert.ProviderRef?.Namespace) ? canary.Namespace : alert.ProviderRef.Namespace;
        var name = alert.ProviderRef?.Name ?? string.Empty;
        var provider = await store.GetAlertProviderAsync(ns, name, cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"alert provider {name}.{ns} not found");
        if (provider.ReadError is { } unreadable)
        {
            throw new InvalidOperationException($"alert provider {name}.{ns} cannot be read: {unreadable}");
        }

        var address = provider.Spec.Address;
        var proxy = provider.Spec.Proxy;
        string? token = null;
        if (provider.Spec.SecretRef?.Name is { Length: > 0 } secretName && secrets is not null)
        {
            // As in Flagger, the Secret's address, proxy and token keys win over the spec: a proxy URL may carry credentials too.
            var data = await secrets.GetSecretDataAsync(ns, secretName, cancellationToken).ConfigureAwait(false)
                ?? throw new InvalidOperationException($"secret {secretName}.{ns} of alert provider {name} not found");
            address = data.TryGetValue("address", out var fromSecret) ? fromSecret : address;
            proxy = data.TryGetValue("proxy", out var proxyFromSecret) ? proxyFromSecret : proxy;
            token = data.GetValueOrDefault("token");
        }

        var type = provider.Spec.Type ?? string.Empty;
        var factory = providers.Resolve<INotifierFactory>("alert provider type", type);
        return factory.Create(new NotifierSettings
        {
            Type = type,
            Address = address ?? throw new InvalidOperationException($"alert provider {name}.{ns} has no address"),
            Channel = string.IsNullOrEmpty(provider.Spec.Channel) ? "general" : provider.Spec.Channel,
            Username = string.IsNullOrEmpty(provider.Spec.Username) ? "flagger" : provider.Spec.Username,
            Proxy = proxy,
            Token = token,
        });
    }

    private List<NotificationField> Fields(TickContext tick, bool withMetadata)
    {
        var fields = new List<NotificationField>();
        if (!string.IsNullOrEmpty(options.Value.ClusterName))
        {
            fields.Add(new NotificationField("Cluster", options.Value.ClusterName));
        }

        if (!withMetadata)
        {
            return fields;
        }

        var analysis = tick.Analysis;
        fields.Add(new NotificationField("Target", $"{tick.Kind}/{tick.TargetId}"));
        fields.Add(new NotificationField("Failed checks threshold", analysis.GetThreshold().ToString(CultureInfo.InvariantCulture)));
        fields.Add(new NotificationField("Progress deadline", $"{tick.Canary.Spec.GetProgressDeadline().TotalSeconds}s"));
        fields.Add(new NotificationField("Traffic routing", analysis.GetStrategy() switch
        {
            DeploymentStrategy.ABTesting => "A/B Testing",
            DeploymentStrategy.BlueGreen => "Blue/Green",
            _ when analysis?.StepWeights is { Count: > 0 } steps => $"Weight steps: {string.Join(",", steps)} max: {analysis.GetMaxWeight()}",
            _ => $"Weight step: {analysis?.StepWeight ?? 0} max: {analysis.GetMaxWeight()}",
        }));
        return fields;
    }

    private static WebhookPayload Payload(TickContext tick, IReadOnlyDictionary<string, string>? metadata) => new()
    {
        Name = tick.Canary.Name,
        Namespace = tick.Canary.Namespace,
        Phase = tick.Phase?.ToString() ?? string.Empty,
        Checksum = SpecHash.ComputeChecksum(tick.Status),
        Metadata = metadata,
    };

    [LoggerMessage(Level = LogLevel.Warning, Message = "Alert {Alert} for canary {Canary} failed: {Error}")]
    private partial void LogAlertFailed(string canary, string? alert, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Event '{Message}' of canary {Canary} could not be recorded: {Error}")]
    private partial void LogEventNotRecorded(string canary, string message, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Event webhook {Hook} for canary {Canary} failed: {Error}")]
    private partial void LogEventHookFailed(string canary, string? hook, string? error);
}
