using System.Collections.Concurrent;
using Flagger.Events;
using Flagger.Model;
using Flagger.Routing;
using Flagger.Store;
using Flagger.Targets;
using Flagger.Webhooks;

namespace Flagger.Prometheus.Tests.EndToEnd;

// The ports this test does not exercise, in memory (trimmed copies of Flagger.Core.Tests' fakes).

internal sealed class InMemoryCanaryStore : ICanaryStore, ISecretReader
{
    private readonly ConcurrentDictionary<string, Canary> canaries = new();

    public void Apply(Canary canary) => canaries[Key(canary.Namespace, canary.Name)] = canary;

    public Canary Get(string @namespace, string name) => canaries[Key(@namespace, name)];

    public Task<Canary?> GetCanaryAsync(string @namespace, string name, CancellationToken cancellationToken) =>
        Task.FromResult(canaries.GetValueOrDefault(Key(@namespace, name)));

    public Task<Canary> UpdateStatusAsync(Canary canary, CanaryStatus status, CancellationToken cancellationToken) =>
        Task.FromResult(canaries.AddOrUpdate(Key(canary.Namespace, canary.Name), canary with { Status = status }, (_, old) => old with { Status = status }));

    public Task<MetricTemplate?> GetMetricTemplateAsync(string @namespace, string name, CancellationToken cancellationToken) => Task.FromResult<MetricTemplate?>(null);

    public Task<AlertProvider?> GetAlertProviderAsync(string @namespace, string name, CancellationToken cancellationToken) => Task.FromResult<AlertProvider?>(null);

    public Task<IReadOnlyDictionary<string, string>?> GetSecretDataAsync(string @namespace, string name, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyDictionary<string, string>?>(null);

    private static string Key(string @namespace, string name) => $"{@namespace}/{name}";
}

internal sealed class RecordingEventRecorder : IEventRecorder
{
    public ConcurrentQueue<string> Lines { get; } = new();

    public Task RecordAsync(Canary canary, CanaryEvent canaryEvent, CancellationToken cancellationToken)
    {
        Lines.Enqueue(canaryEvent.ToString());
        return Task.CompletedTask;
    }
}

internal sealed class AcceptingWebhooks : IWebhookClient
{
    public Task<WebhookResult> CallAsync(CanaryWebhook webhook, WebhookPayload payload, CancellationToken cancellationToken) =>
        Task.FromResult(WebhookResult.Success);
}

internal sealed class ReadyServices : IServiceRouter
{
    public Task InitializeAsync(Canary canary, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task ReconcileAsync(Canary canary, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task FinalizeAsync(Canary canary, CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>A Deployment whose rollouts are ready at once; <see cref="SetImage"/> is <c>kubectl set image</c>.</summary>
internal sealed class InstantWorkload : ITargetController
{
    public string TargetTemplate { get; private set; } = "podinfo:1.4.0";

    public string? PrimaryTemplate { get; private set; }

    public int TargetReplicas { get; private set; } = 1;

    public void SetImage(string image) => TargetTemplate = image;

    public Task<Readiness> InitializeAsync(Canary canary, bool requirePrimaryReady, CancellationToken cancellationToken)
    {
        PrimaryTemplate ??= TargetTemplate;
        return Task.FromResult(Readiness.Ready);
    }

    public Task<Readiness> IsPrimaryReadyAsync(Canary canary, CancellationToken cancellationToken) => Task.FromResult(Readiness.Ready);

    public Task<Readiness> IsCanaryReadyAsync(Canary canary, CancellationToken cancellationToken) => Task.FromResult(Readiness.Ready);

    public Task<TargetRevision> GetRevisionAsync(Canary canary, CancellationToken cancellationToken) =>
        Task.FromResult(new TargetRevision(SpecHash.Compute($"{{\"image\":\"{TargetTemplate}\"}}"), new Dictionary<string, string>()));

    public Task PromoteAsync(Canary canary, CancellationToken cancellationToken)
    {
        PrimaryTemplate = TargetTemplate;
        return Task.CompletedTask;
    }

    public Task ScaleToZeroAsync(Canary canary, CancellationToken cancellationToken)
    {
        TargetReplicas = 0;
        return Task.CompletedTask;
    }

    public Task ScaleFromZeroAsync(Canary canary, CancellationToken cancellationToken)
    {
        TargetReplicas = 1;
        return Task.CompletedTask;
    }

    public Task FinalizeAsync(Canary canary, CancellationToken cancellationToken) => Task.CompletedTask;
}
