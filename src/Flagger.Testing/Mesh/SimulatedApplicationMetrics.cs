using System.Text.RegularExpressions;
using Flagger.Metrics;
using Flagger.Model;

namespace Flagger.Testing.Mesh;

/// <summary>
/// A metrics provider that answers the builtin queries Flagger runs for the <c>kubernetes</c> and <c>gatewayapi</c>
/// providers — the application's own <c>http_request_duration_seconds</c> histogram, selected by the target's pod
/// names — from a <see cref="SimulatedMesh"/>'s counters, and Istio's builtin queries as
/// <see cref="SimulatedMeshMetrics"/> does. Register it under the metrics server's type (<c>prometheus</c>).
/// </summary>
/// <param name="mesh">The mesh whose counters answer.</param>
public sealed partial class SimulatedApplicationMetrics(SimulatedMesh mesh) : IMetricsProviderFactory, IMetricsProvider
{
    private readonly SimulatedMeshMetrics istio = new(mesh);

    /// <inheritdoc />
    public IMetricsProvider Create(MetricsProviderSettings settings) => this;

    /// <inheritdoc />
    public Task<ProviderHealth> CheckHealthAsync(CancellationToken cancellationToken) => Task.FromResult(ProviderHealth.Online);

    /// <inheritdoc />
    public Task<MetricQueryResult> RunQueryAsync(string query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (!query.Contains("http_request_duration_seconds", StringComparison.Ordinal))
        {
            return istio.RunQueryAsync(query, cancellationToken);
        }

        var ns = NamespaceMatcher().Match(query);
        var pods = PodMatcher().Match(query);
        var range = RangeMatcher().Match(query);
        var isDuration = query.Contains("http_request_duration_seconds_bucket", StringComparison.Ordinal) && query.Contains("histogram_quantile(0.99", StringComparison.Ordinal);
        var isSuccessRate = query.Contains("http_request_duration_seconds_count", StringComparison.Ordinal) && query.Contains("status!~\"5.*\"", StringComparison.Ordinal);
        if (!ns.Success || !pods.Success || !range.Success || !GoDuration.TryParse(range.Groups[1].Value, out var window) || !(isDuration || isSuccessRate))
        {
            return Task.FromResult(MetricQueryResult.Failed(
                "the simulated mesh answers only the builtin request-success-rate and request-duration queries; run the demo with --prometheus URL for other queries"));
        }

        // <target>-<hash>-<id> are the target's own pods: the workload named <target>, never <target>-primary.
        var increase = mesh.Increase(ns.Groups[1].Value, Regex.Escape(pods.Groups[1].Value), window);
        if (increase is null)
        {
            return Task.FromResult(MetricQueryResult.NoValues());
        }

        // The histogram is in seconds; the query multiplies its P99 by 1000, as the counters' milliseconds are.
        var value = isSuccessRate
            ? (increase.Total - increase.Failed) / increase.Total * 100
            : IstioHistogram.Quantile(0.99, increase.Buckets, increase.Total);
        return Task.FromResult(MetricQueryResult.Of(value));
    }

    [GeneratedRegex("kubernetes_namespace=\"([^\"]*)\"")]
    private static partial Regex NamespaceMatcher();

    [GeneratedRegex(@"kubernetes_pod_name=~""([^""]*?)-\[0-9a-zA-Z\]\+\(-\[0-9a-zA-Z\]\+\)""")]
    private static partial Regex PodMatcher();

    [GeneratedRegex(@"\}\[([0-9a-z.]+)\]")]
    private static partial Regex RangeMatcher();
}
