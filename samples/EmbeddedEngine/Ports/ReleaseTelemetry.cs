using Flagger.Metrics;

namespace EmbeddedEngine.Ports;

/// <summary>
/// The <c>pipeline</c> metrics provider: answers the one query the pipeline's MetricTemplate asks, the candidate's
/// error rate, while the candidate receives traffic; with no traffic there is nothing to measure.
/// </summary>
internal sealed class ReleaseTelemetry(Release release) : IMetricsProviderFactory, IMetricsProvider
{
    public const string ErrorRateQuery = "error_rate";

    public IMetricsProvider Create(MetricsProviderSettings settings) => this;

    public Task<MetricQueryResult> RunQueryAsync(string query, CancellationToken cancellationToken) =>
        Task.FromResult(query.Trim() switch
        {
            _ when release.CanaryWeight == 0 => MetricQueryResult.NoValues("the candidate receives no traffic"),
            ErrorRateQuery => MetricQueryResult.Of(release.CandidateErrorPercent),
            var other => MetricQueryResult.Failed($"unknown query '{other}': this provider answers '{ErrorRateQuery}'"),
        });

    public Task<ProviderHealth> CheckHealthAsync(CancellationToken cancellationToken) => Task.FromResult(ProviderHealth.Online);
}
