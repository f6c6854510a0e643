using Flagger.Model;

namespace Flagger.Store;

/// <summary>Reads the flagger.app resources and writes Canary status.</summary>
public interface ICanaryStore
{
    /// <summary>The Canary, or null when it no longer exists.</summary>
    Task<Canary?> GetCanaryAsync(string @namespace, string name, CancellationToken cancellationToken);

    /// <summary>Writes the status (retrying on conflict) and returns the stored Canary.</summary>
    Task<Canary> UpdateStatusAsync(Canary canary, CanaryStatus status, CancellationToken cancellationToken);

    /// <summary>A MetricTemplate, or null.</summary>
    Task<MetricTemplate?> GetMetricTemplateAsync(string @namespace, string name, CancellationToken cancellationToken);

    /// <summary>An AlertProvider, or null.</summary>
    Task<AlertProvider?> GetAlertProviderAsync(string @namespace, string name, CancellationToken cancellationToken);
}

/// <summary>Reads Secret data for provider credentials.</summary>
public interface ISecretReader
{
    /// <summary>The Secret's decoded data, or null when it does not exist.</summary>
    Task<IReadOnlyDictionary<string, string>?> GetSecretDataAsync(string @namespace, string name, CancellationToken cancellationToken);
}
