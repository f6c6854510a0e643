using System.Collections.Concurrent;
using Flagger.Model;
using Flagger.Store;

namespace Flagger.Fakes;

/// <summary>Canaries, templates, alert providers and secrets held in memory; counts status writes.</summary>
public sealed class InMemoryCanaryStore : ICanaryStore, ISecretReader
{
    private readonly ConcurrentDictionary<string, Canary> canaries = new();
    private readonly ConcurrentDictionary<string, MetricTemplate> templates = new();
    private readonly ConcurrentDictionary<string, AlertProvider> alertProviders = new();
    private readonly ConcurrentDictionary<string, IReadOnlyDictionary<string, string>> secrets = new();

    public int StatusWrites { get; private set; }

    public void Apply(Canary canary) =>
        canaries.AddOrUpdate(Key(canary.Namespace, canary.Name), canary, (_, old) => canary with { Status = old.Status });

    public void Apply(MetricTemplate template) => templates[Key(template.Metadata.Namespace!, template.Metadata.Name!)] = template;

    public void Apply(AlertProvider provider) => alertProviders[Key(provider.Metadata.Namespace!, provider.Metadata.Name!)] = provider;

    public void ApplySecret(string @namespace, string name, IReadOnlyDictionary<string, string> data) => secrets[Key(@namespace, name)] = data;

    public Canary Get(string @namespace, string name) => canaries[Key(@namespace, name)];

    public Task<Canary?> GetCanaryAsync(string @namespace, string name, CancellationToken cancellationToken) =>
        Task.FromResult(canaries.GetValueOrDefault(Key(@namespace, name)));

    public Task<Canary> UpdateStatusAsync(Canary canary, CanaryStatus status, CancellationToken cancellationToken)
    {
        StatusWrites++;
        var stored = canaries.AddOrUpdate(Key(canary.Namespace, canary.Name), canary with { Status = status }, (_, old) => old with { Status = status });
        return Task.FromResult(stored);
    }

    public Task<MetricTemplate?> GetMetricTemplateAsync(string @namespace, string name, CancellationToken cancellationToken) =>
        Task.FromResult(templates.GetValueOrDefault(Key(@namespace, name)));

    public Task<AlertProvider?> GetAlertProviderAsync(string @namespace, string name, CancellationToken cancellationToken) =>
        Task.FromResult(alertProviders.GetValueOrDefault(Key(@namespace, name)));

    public Task<IReadOnlyDictionary<string, string>?> GetSecretDataAsync(string @namespace, string name, CancellationToken cancellationToken) =>
        Task.FromResult(secrets.GetValueOrDefault(Key(@namespace, name)));

    private static string Key(string @namespace, string name) => $"{@namespace}/{name}";
}
