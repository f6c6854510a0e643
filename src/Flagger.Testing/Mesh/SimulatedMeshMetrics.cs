using System.Text.RegularExpressions;
using Flagger.Metrics;
using Flagger.Model;

namespace Flagger.Testing.Mesh;

/// <summary>
/// A metrics provider that answers Istio's builtin <c>request-success-rate</c> and <c>request-duration</c> queries
/// from a <see cref="SimulatedMesh"/> directly, as Prometheus would from its scrapes, so the demo and tests need no
/// Prometheus server. Register it under the metrics server's type (<c>prometheus</c>).
/// </summary>
/// <param name="mesh">The mesh whose counters answer.</param>
public sealed partial class SimulatedMeshMetrics(SimulatedMesh mesh) : IMetricsProviderFactory, IMetricsProvider
{
    /// <inheritdoc />
    public IMetricsProvider Create(MetricsProviderSettings settings) => this;

    /// <inheritdoc />
    public Task<ProviderHealth> CheckHealthAsync(CancellationToken cancellationToken) => Task.FromResult(ProviderHealth.Online);

    /// <inheritdoc />
    public Task<MetricQueryResult> RunQueryAsync(string query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var ns = NamespaceMatcher().Match(query);
        var workload = WorkloadMatcher().Match(query);
        var range = RangeMatcher().Match(query);
        var isDuration = query.Contains("istio_request_duration_milliseconds_bucket", StringComparison.Ordinal) && query.Contains("histogram_quantile(0.99", StringComparison.Ordinal);
        var isSuccessRate = query.Contains("istio_requests_total", StringComparison.Ordinal) && query.Contains("response_code!~\"5.*\"", StringComparison.Ordinal);
        if (!ns.Success || !workload.Success || !range.Success || !GoDuration.TryParse(range.Groups[1].Value, out var window) || !(isDuration || isSuccessRate))
        {
            return Task.FromResult(MetricQueryResult.Failed(
                "the simulated mesh answers only Istio's builtin request-success-rate and request-duration queries; run the demo with --prometheus URL for other queries"));
        }

        var increase = mesh.Increase(ns.Groups[1].Value, workload.Groups[1].Value, window);
        if (increase is null)
        {
            return Task.FromResult(MetricQueryResult.NoValues());
        }

        var value = isSuccessRate
            ? (increase.Total - increase.Failed) / increase.Total * 100
            : IstioHistogram.Quantile(0.99, increase.Buckets, increase.Total);
        return Task.FromResult(MetricQueryResult.Of(value));
    }

    [GeneratedRegex("destination_workload_namespace=\"([^\"]*)\"")]
    private static partial Regex NamespaceMatcher();

    [GeneratedRegex("destination_workload=~?\"([^\"]*)\"")]
    private static partial Regex WorkloadMatcher();

    [GeneratedRegex(@"\}\[([0-9a-z.]+)\]")]
    private static partial Regex RangeMatcher();
}
