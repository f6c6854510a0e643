using Flagger.Metrics;

namespace Flagger.Prometheus;

/// <summary>
/// Builtin queries for the <c>kubernetes</c> provider (no mesh): the application's own
/// <c>http_request_duration_seconds</c> histogram, selected by the target's pod names.
/// </summary>
public sealed class KubernetesMetricObserver : IMetricObserver
{
    /// <summary>The mesh provider these queries serve.</summary>
    public const string ProviderName = "kubernetes";

    private const string Pods = "kubernetes_namespace=\"{{ namespace }}\",kubernetes_pod_name=~\"{{ target }}-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)\"";

    /// <inheritdoc />
    public string RequestSuccessRateQuery =>
        "sum(rate(http_request_duration_seconds_count{" + Pods + ",status!~\"5.*\"}[{{ interval }}])) / "
        + "sum(rate(http_request_duration_seconds_count{" + Pods + "}[{{ interval }}])) * 100";

    /// <inheritdoc />
    public string RequestDurationQuery =>
        "histogram_quantile(0.99, sum(rate(http_request_duration_seconds_bucket{" + Pods + "}[{{ interval }}])) by (le)) * 1000";
}
