using Flagger.Model;
using Flagger.Store;

namespace EmbeddedEngine.Ports;

/// <summary>The pipeline keeps the Canary and its templates in memory; status writes replace the stored copy.</summary>
internal sealed class ReleaseStore : ICanaryStore, ISecretReader
{
    private readonly Dictionary<(string Namespace, string Name), Canary> canaries = [];
    private readonly Dictionary<(string Namespace, string Name), MetricTemplate> templates = [];

    public void Apply(Canary canary) => canaries[(canary.Namespace, canary.Name)] = canary;

    public void Apply(MetricTemplate template) => templates[(template.Metadata.Namespace!, template.Metadata.Name!)] = template;

    public Task<Canary?> GetCanaryAsync(string @namespace, string name, CancellationToken cancellationToken) =>
        Task.FromResult(canaries.GetValueOrDefault((@namespace, name)));

    public Task<Canary> UpdateStatusAsync(Canary canary, CanaryStatus status, CancellationToken cancellationToken)
    {
        var stored = canary with { Status = status };
        canaries[(canary.Namespace, canary.Name)] = stored;
        return Task.FromResult(stored);
    }

    public Task<MetricTemplate?> GetMetricTemplateAsync(string @namespace, string name, CancellationToken cancellationToken) =>
        Task.FromResult(templates.GetValueOrDefault((@namespace, name)));

    // The pipeline's canaries use no alert providers and no secrets.
    public Task<AlertProvider?> GetAlertProviderAsync(string @namespace, string name, CancellationToken cancellationToken) =>
        Task.FromResult<AlertProvider?>(null);

    public Task<IReadOnlyDictionary<string, string>?> GetSecretDataAsync(string @namespace, string name, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyDictionary<string, string>?>(null);
}
