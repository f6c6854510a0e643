using Flagger.Metrics;
using Microsoft.Extensions.Options;

namespace Flagger.Prometheus;

/// <summary>
/// Istio's builtin queries, with the duration histogram chosen by <see cref="PrometheusOptions.UseIstioSecondsHistogram"/>:
/// Istio before 1.5 (Mixer telemetry) exported request durations in seconds.
/// </summary>
internal sealed class PrometheusIstioMetricObserver(IOptions<PrometheusOptions> options) : IMetricObserver
{
    /// <summary>The pre-1.5 P99 in milliseconds over <c>istio_request_duration_seconds_bucket</c>.</summary>
    public const string SecondsHistogramDurationQuery =
        """
        histogram_quantile(0.99, sum(rate(istio_request_duration_seconds_bucket{reporter="destination",destination_workload_namespace="{{ namespace }}",destination_workload=~"{{ target }}"}[{{ interval }}])) by (le))
        * 1000
        """;

    private static readonly IstioMetricObserver Current = new();

    public string RequestSuccessRateQuery => Current.RequestSuccessRateQuery;

    public string RequestDurationQuery =>
        options.Value.UseIstioSecondsHistogram ? SecondsHistogramDurationQuery : Current.RequestDurationQuery;
}
