using Flagger.Metrics;

namespace Flagger.Prometheus;

/// <summary>
/// Stands in for a provider whose settings cannot work (no address, unusable credentials), so the problem
/// surfaces as the metric's event text on every tick instead of an exception.
/// </summary>
internal sealed class MisconfiguredMetricsProvider(string error) : IMetricsProvider
{
    public Task<MetricQueryResult> RunQueryAsync(string query, CancellationToken cancellationToken) =>
        Task.FromResult(MetricQueryResult.Failed(error));

    public Task<ProviderHealth> CheckHealthAsync(CancellationToken cancellationToken) =>
        Task.FromResult(new ProviderHealth(false, error));
}
