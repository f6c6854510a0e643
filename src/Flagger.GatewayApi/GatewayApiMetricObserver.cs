using Flagger.Metrics;

namespace Flagger.GatewayApi;

/// <summary>
/// Builtin queries for <c>gatewayapi:v1</c> and <c>gatewayapi:v1beta1</c>, which Flagger answers from the
/// application's own <c>http_request_duration_seconds</c> histogram (as for the <c>kubernetes</c> provider), selected by
/// the target's pod names: a Gateway API implementation's own series are named differently by each.
/// </summary>
internal sealed class GatewayApiMetricObserver : IMetricObserver
{
    private const string Pods = "kubernetes_namespace=\"{{ namespace }}\",kubernetes_pod_name=~\"{{ target }}-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)\"";

    public string RequestSuccessRateQuery =>
        "sum(rate(http_request_duration_seconds_count{" + Pods + ",status!~\"5.*\"}[{{ interval }}])) / "
        + "sum(rate(http_request_duration_seconds_count{" + Pods + "}[{{ interval }}])) * 100";

    // Seconds in the series, milliseconds for the threshold.
    public string RequestDurationQuery =>
        "histogram_quantile(0.99, sum(rate(http_request_duration_seconds_bucket{" + Pods + "}[{{ interval }}])) by (le)) * 1000";
}
