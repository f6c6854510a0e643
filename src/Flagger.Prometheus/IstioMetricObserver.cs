using Flagger.Metrics;

namespace Flagger.Prometheus;

/// <summary>Istio's builtin queries over <c>istio_requests_total</c> and <c>istio_request_duration_milliseconds_bucket</c>.</summary>
public sealed class IstioMetricObserver : IMetricObserver
{
    /// <summary>The mesh provider these queries serve.</summary>
    public const string ProviderName = "istio";

    /// <inheritdoc />
    public string RequestSuccessRateQuery =>
        """
        sum(rate(istio_requests_total{reporter="destination",destination_workload_namespace="{{ namespace }}",destination_workload=~"{{ target }}",response_code!~"5.*"}[{{ interval }}]))
        /
        sum(rate(istio_requests_total{reporter="destination",destination_workload_namespace="{{ namespace }}",destination_workload=~"{{ target }}"}[{{ interval }}]))
        * 100
        """;

    /// <inheritdoc />
    public string RequestDurationQuery =>
        """
        histogram_quantile(0.99, sum(rate(istio_request_duration_milliseconds_bucket{reporter="destination",destination_workload_namespace="{{ namespace }}",destination_workload=~"{{ target }}"}[{{ interval }}])) by (le))
        """;
}
