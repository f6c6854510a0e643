// The apply stage: routes, then target and scaler, then the status written once, then events and alerts, which are
// best-effort and bounded; AlertRouting picks which providers receive an alert.

using System.Globalization;
using Flagger.Analysis.Decisions;
using Flagger.Events;
using Flagger.Model;
using Flagger.Notifications;
using Flagger.Providers;
using Flagger.Routing;
using Flagger.Store;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Flagger.Analysis;

/// <summary>
/// The apply stage: performs a <see cref="Transition"/> in a fixed safety order. Routes first, so that traffic leaves
/// a bad revision before anything else can fail; then the target and its autoscaler; then the status, written once;
/// then the post-rollout hooks, the events, the event webhooks and the alerts. Those last are best-effort: each is
/// bounded by <see cref="EngineOptions.NotificationTimeout"/>, and a failure (a timeout included) is logged and
/// reported, never thrown.
/// </summary>
internal sealed partial class TransitionApplier(
    IEventRecorder recorder,
    ICanaryStore store,
    Observer observer,
    ProviderResolver providers,
    FailureDescriber describer,
    IOptions<EngineOptions> options,
    TimeProvider time,
    ISecretReader? secrets = null,
    INotifier? globalNotifier = null,
    ILoggerFactory? loggerFactory = null)
{
    private readonly ILogger logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<CanaryEngine>();
    private readonly IEventRecorder recorder = recorder;
    private readonly Observer observer = observer;
    private readonly IOptions<EngineOptions> options = options;
    private readonly TimeProvider time = time;
    private readonly INotifier? globalNotifier = globalNotifier;

    public async Task<Applied> ApplyAsync(Observation o, Transition t, CancellationToken ct)
    {
        var ports = o.Ports;
        var next = t.Unchanged ? o.Status : t.Status;
        var canary = ReferenceEquals(next, o.Status) ? o.Canary : o.Canary with { Status = next };
        PortFailure? failure = null;
        TrafficRoutes? routed = null;
        if (t.Routes is { } routes)
        {
            try
            {
                await ports.Router.SetRoutesAsync(canary, routes, ct).ConfigureAwait(false);
                routed = routes;
            }
            catch (Exception e) when (!ct.IsCancellationRequested)
            {
                failure = observer.Fail($"setting the {ports.Provider} routes to primary {routes.PrimaryWeight}% canary {routes.CanaryWeight}%", e);
            }
        }

        for (var i = 0; failure is null && i < t.Actions.Count; i++)
        {
            try
            {
                await ActAsync(ports, canary, t.Actions[i], ct).ConfigureAwait(false);
            }
            catch (Exception e) when (!ct.IsCancellationRequested)
            {
                failure = observer.Fail($"{t.Actions[i]} on {o.Kind} {o.TargetId}", e);
            }
        }

        // Without its routes and actions the transition did not happen: keep what stays true without them.
        var status = failure is null ? next : t.FallbackStatus ?? o.Status;
        var stored = o.Canary;
        var written = false;
        if (!status.Equals(o.Status))
        {
            try
            {
                stored = await store.UpdateStatusAsync(o.Canary, status, ct).ConfigureAwait(false);
                written = true;
            }
            catch (Exception e) when (!ct.IsCancellationRequested)
            {
                failure ??= observer.Fail("writing the Canary status", e);
            }
        }

        var effects = new Effects(this, written ? stored : canary, t.Events.Count);
        if (failure is not null && !ReferenceEquals(failure, o.Failure))
        {
            // The transition did not happen, so its events and alerts would say what is not so: the failure is
            // said instead, and the next tick decides again.
            effects.Events.Add(new CanaryEvent(EventSeverity.Warning, WarningText(o.Canary, failure)));
            await effects.RecordAsync(ct).ConfigureAwait(false);
            return new Applied(written ? stored : null, routed, effects.Events, failure, effects.Failures);
        }

        for (var i = 0; i < t.Events.Count; i++)
        {
            if (i == t.PostRolloutAt)
            {
                await effects.PostRolloutAsync(ct).ConfigureAwait(false);
            }

            effects.Events.Add(t.Events[i]);
        }

        if (t.PostRolloutAt >= t.Events.Count)
        {
            await effects.PostRolloutAsync(ct).ConfigureAwait(false);
        }

        await effects.RecordAsync(ct).ConfigureAwait(false);
        foreach (var alert in t.Alerts)
        {
            await effects.AlertAsync(alert, ct).ConfigureAwait(false);
        }

        return new Applied(written ? stored : null, routed, effects.Events, failure, effects.Failures);
    }

    /// <summary>The Warning text for a failed call: its reason, or for a bug only the exception's type (its trace goes to the log).</summary>
    public static string WarningText(Canary canary, PortFailure failure) =>
        failure.Internal ? $"Internal error in {failure.Call} for {canary.Id}: {failure.Exception.GetType().Name}" : failure.Detail;

    private static Task ActAsync(TickPorts ports, Canary canary, TargetAction action, CancellationToken ct) => action switch
    {
        TargetAction.Promote => ports.Target.PromoteAsync(canary, ct),
        TargetAction.ScaleToZero => ports.Target.ScaleToZeroAsync(canary, ct),
        TargetAction.ScaleFromZero => ports.Target.ScaleFromZeroAsync(canary, ct),
        TargetAction.ReconcilePrimaryScaler => ports.Scaler!.ReconcilePrimaryScalerAsync(canary, false, ct),
        TargetAction.PauseTargetScaler => ports.Scaler!.PauseTargetScalerAsync(canary, ct),
        TargetAction.ResumeTargetScaler => ports.Scaler!.ResumeTargetScalerAsync(canary, ct),
        _ => throw new ArgumentOutOfRangeException(nameof(action), action, "unknown target action"),
    };

    // Runs one best-effort call within the notification timeout, even when the callee ignores its token.
    private async Task BestEffortAsync(string kind, string name, string canaryId, Func<CancellationToken, Task> call, List<EffectFailure> failures, CancellationToken ct)
    {
        var timeout = options.Value.NotificationTimeout;
        using var expiry = new CancellationTokenSource(timeout, time);
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(ct, expiry.Token);
        try
        {
            await call(bounded.Token).WaitAsync(timeout, time, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            // A slow chat service, a webhook that never answers or an API server that refuses the event must never
            // undo or delay what the tick did to traffic: it is reported, and the tick goes on.
            var error = e is TimeoutException or OperationCanceledException ? $"no answer within {timeout.TotalSeconds:0.###}s" : describer.Describe(e);
            failures.Add(new EffectFailure(kind, name, error));
            LogEffectFailed(string.Concat(kind[..1].ToUpperInvariant(), kind[1..]), name, canaryId, error);
        }
    }

    private async Task<INotifier> CreateNotifierAsync(Canary canary, CanaryAlert alert, CancellationToken ct)
    {
        var ns = string.IsNullOrEmpty(alert.ProviderRef?.Namespace) ? canary.Namespace : alert.ProviderRef.Namespace;
        var name = alert.ProviderRef?.Name ?? string.Empty;
        var provider = await store.GetAlertProviderAsync(ns, name, ct).ConfigureAwait(false)
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
            var data = await secrets.GetSecretDataAsync(ns, secretName, ct).ConfigureAwait(false)
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

    private List<NotificationField> Fields(Canary canary, bool withMetadata)
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

        var analysis = canary.Spec.GetAnalysis();
        fields.Add(new NotificationField("Target", $"{canary.GetTargetKind()}/{canary.GetTargetName()}.{canary.Namespace}"));
        fields.Add(new NotificationField("Failed checks threshold", analysis.GetThreshold().ToString(CultureInfo.InvariantCulture)));
        fields.Add(new NotificationField("Progress deadline", $"{canary.Spec.GetProgressDeadline().TotalSeconds}s"));
        fields.Add(new NotificationField("Traffic routing", analysis.GetStrategy() switch
        {
            DeploymentStrategy.ABTesting => "A/B Testing",
            DeploymentStrategy.BlueGreen => "Blue/Green",
            _ when analysis?.StepWeights is { Count: > 0 } steps => $"Weight steps: {string.Join(",", steps)} max: {analysis.GetMaxWeight()}",
            _ => $"Weight step: {analysis?.StepWeight ?? 0} max: {analysis.GetMaxWeight()}",
        }));
        return fields;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Kind} {Name} for canary {Canary} failed: {Error}")]
    private partial void LogEffectFailed(string kind, string name, string canary, string error);

    /// <summary>The best-effort part of one transition, against the canary as it now stands.</summary>
    private sealed class Effects(TransitionApplier applier, Canary canary, int capacity)
    {
        public List<CanaryEvent> Events { get; } = new(capacity);

        public List<EffectFailure> Failures { get; } = [];

        private IReadOnlyList<CanaryWebhook> Hooks => canary.Spec.GetAnalysis()?.Webhooks ?? [];

        // Post-rollout hooks report; their failures are events, never acted on.
        public async Task PostRolloutAsync(CancellationToken ct)
        {
            foreach (var hook in Hooks)
            {
                if (WebhookTypes.Of(hook) != WebhookTypes.PostRollout)
                {
                    continue;
                }

                var result = Webhooks.WebhookResult.Failure($"no answer within {applier.options.Value.NotificationTimeout.TotalSeconds:0.###}s");
                await applier.BestEffortAsync("post-rollout hook", hook.Name ?? string.Empty, canary.Id, async token =>
                    result = await applier.observer.CallAsync(hook, Observer.Payload(canary, canary.Status ?? new CanaryStatus(), hook.Metadata), token).ConfigureAwait(false), Failures, ct).ConfigureAwait(false);
                Events.Add(result.Succeeded
                    ? new CanaryEvent(EventSeverity.Info, $"Post-rollout check {hook.Name} passed")
                    : new CanaryEvent(EventSeverity.Warning, $"Post-rollout hook {hook.Name} failed {result.Error}"));
            }
        }

        // Each event to the recorder, then to the canary's event webhooks, in order.
        public async Task RecordAsync(CancellationToken ct)
        {
            foreach (var canaryEvent in Events)
            {
                await applier.BestEffortAsync("event", canaryEvent.Message, canary.Id, token => applier.recorder.RecordAsync(canary, canaryEvent, token), Failures, ct).ConfigureAwait(false);
                foreach (var hook in Hooks)
                {
                    if (WebhookTypes.Of(hook) == WebhookTypes.Event)
                    {
                        await applier.BestEffortAsync("event webhook", hook.Name ?? string.Empty, canary.Id, token => ForwardAsync(hook, canaryEvent, token), Failures, ct).ConfigureAwait(false);
                    }
                }
            }
        }

        /// <summary>Sends an alert to the canary's alert providers whose severity admits it, or to the global notifier when it has none.</summary>
        public async Task AlertAsync(Alert alert, CancellationToken ct)
        {
            var notification = new Notification(canary.Name, canary.Namespace, alert.Message, applier.Fields(canary, alert.WithMetadata), alert.Severity);
            var alerts = canary.Spec.GetAnalysis()?.Alerts ?? [];
            if (alerts.Count == 0)
            {
                if (applier.globalNotifier is { } global)
                {
                    await applier.BestEffortAsync("alert", "global", canary.Id, token => global.PostAsync(notification, token), Failures, ct).ConfigureAwait(false);
                }

                return;
            }

            foreach (var configured in alerts)
            {
                if (AlertRouting.Receives(configured.Severity, alert.Severity))
                {
                    await applier.BestEffortAsync("alert", configured.Name ?? string.Empty, canary.Id, async token =>
                    {
                        var notifier = await applier.CreateNotifierAsync(canary, configured, token).ConfigureAwait(false);
                        await notifier.PostAsync(notification, token).ConfigureAwait(false);
                    }, Failures, ct).ConfigureAwait(false);
                }
            }
        }

        private async Task ForwardAsync(CanaryWebhook hook, CanaryEvent canaryEvent, CancellationToken ct)
        {
            var metadata = new Dictionary<string, string>(hook.Metadata ?? new Dictionary<string, string>())
            {
                ["eventMessage"] = canaryEvent.Message,
                ["eventType"] = canaryEvent.KubernetesType,
                ["timestamp"] = applier.time.GetUtcNow().ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture),
            };
            var result = await applier.observer.CallAsync(hook, Observer.Payload(canary, canary.Status ?? new CanaryStatus(), metadata), ct).ConfigureAwait(false);
            if (!result.Succeeded)
            {
                throw new InvalidOperationException(result.Error ?? "failed");
            }
        }
    }
}

/// <summary>What the apply stage did.</summary>
/// <param name="Stored">The canary as stored after the status write, or null when nothing was written.</param>
/// <param name="Routes">The split applied, if one was.</param>
/// <param name="Events">The events recorded, in order.</param>
/// <param name="Failure">The routes, target or status call that failed, if one did.</param>
/// <param name="EffectFailures">The best-effort calls that failed.</param>
internal sealed record Applied(Canary? Stored, TrafficRoutes? Routes, IReadOnlyList<CanaryEvent> Events, PortFailure? Failure, IReadOnlyList<EffectFailure> EffectFailures);

/// <summary>Which alerts a canary alert receives, by severity.</summary>
internal static class AlertRouting
{
    /// <summary>
    /// An alert at <c>info</c> receives everything, <c>warn</c> receives warnings and errors, <c>error</c> only errors.
    /// An empty severity means <c>info</c>, as documented (Flagger sends such alerts nothing).
    /// </summary>
    public static bool Receives(string? configuredSeverity, AlertSeverity severity) => configuredSeverity switch
    {
        null or "" or "info" => true,
        "warn" => severity >= AlertSeverity.Warn,
        "error" => severity == AlertSeverity.Error,
        _ => false,
    };
}
