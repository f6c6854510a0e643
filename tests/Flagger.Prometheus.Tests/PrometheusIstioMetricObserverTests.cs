using Microsoft.Extensions.Options;

namespace Flagger.Prometheus.Tests;

/// <summary>The builtin Istio queries exactly as Flagger sends them (whitespace collapsed).</summary>
public sealed class PrometheusIstioMetricObserverTests
{
    [Fact]
    public void Success_rate_query_is_Flaggers()
    {
        var observer = new PrometheusIstioMetricObserver(Options.Create(new PrometheusOptions()));

        Assert.Equal(
            """sum(rate(istio_requests_total{reporter="destination",destination_workload_namespace="{{ namespace }}",destination_workload=~"{{ target }}",response_code!~"5.*"}[{{ interval }}])) / sum(rate(istio_requests_total{reporter="destination",destination_workload_namespace="{{ namespace }}",destination_workload=~"{{ target }}"}[{{ interval }}])) * 100""",
            PrometheusMetricsProvider.CollapseWhitespace(observer.RequestSuccessRateQuery));
    }

    [Fact]
    public void Duration_query_is_Flaggers_P99_in_milliseconds()
    {
        var observer = new PrometheusIstioMetricObserver(Options.Create(new PrometheusOptions()));

        Assert.Equal(
            """histogram_quantile(0.99, sum(rate(istio_request_duration_milliseconds_bucket{reporter="destination",destination_workload_namespace="{{ namespace }}",destination_workload=~"{{ target }}"}[{{ interval }}])) by (le))""",
            PrometheusMetricsProvider.CollapseWhitespace(observer.RequestDurationQuery));
    }

    [Fact]
    public void Pre_1_5_duration_query_converts_the_seconds_histogram_to_milliseconds()
    {
        var observer = new PrometheusIstioMetricObserver(Options.Create(new PrometheusOptions { UseIstioSecondsHistogram = true }));

        Assert.Equal(
            """histogram_quantile(0.99, sum(rate(istio_request_duration_seconds_bucket{reporter="destination",destination_workload_namespace="{{ namespace }}",destination_workload=~"{{ target }}"}[{{ interval }}])) by (le)) * 1000""",
            PrometheusMetricsProvider.CollapseWhitespace(observer.RequestDurationQuery));
    }
}
