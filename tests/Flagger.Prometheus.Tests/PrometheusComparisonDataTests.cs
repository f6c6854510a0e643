using Flagger.Metrics;
using Flagger.Prometheus.Tests.Fixtures;
using Microsoft.Extensions.DependencyInjection;

namespace Flagger.Prometheus.Tests;

/// <summary>Both sides of a comparison read from the real Prometheus, scraping an exporter with known traffic.</summary>
public sealed class PrometheusComparisonDataTests(PrometheusServer prometheus)
{
    private static readonly WorkloadPair Podinfo = new("istio", "test", "podinfo", "podinfo-primary");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static ComparisonWindow LastSeconds(int seconds)
    {
        var end = DateTimeOffset.UtcNow;
        return new ComparisonWindow(end.AddSeconds(-seconds), end, TimeSpan.FromSeconds(1));
    }

    private IComparisonDataProvider Data(ServiceProvider services) =>
        Assert.IsAssignableFrom<IComparisonDataProvider>(services.Provider(prometheus.Address));

    [Fact]
    public async Task Request_counts_are_the_increase_of_each_workloads_requests_and_5xx()
    {
        using var services = Prometheus.Services();

        var data = Data(services);

        // Prometheus scrapes every second from the start of the run: read once it holds 8 s of requests.
        ComparisonReading<RequestCounts> reading;
        var deadline = DateTimeOffset.UtcNow.AddSeconds(30);
        while ((reading = await data.ReadRequestCountsAsync(Podinfo, LastSeconds(8), Ct)).Canary.Requests < 70 && DateTimeOffset.UtcNow < deadline)
        {
            await Task.Delay(500, Ct);
        }

        Assert.Equal(MetricQueryOutcome.Value, reading.Outcome);
        var (canary, primary) = (reading.Canary, reading.Primary);

        // 10 and 20 requests a second, 10% and 0.5% of them 5xx; increase() extrapolates to the window's edges.
        Assert.InRange(canary.Requests, 70, 100);
        Assert.InRange(primary.Requests / (double)canary.Requests, 1.8, 2.2);
        Assert.InRange(canary.Failures / (double)canary.Requests, 0.06, 0.14);
        Assert.InRange(primary.Failures / (double)primary.Requests, 0, 0.03);
    }

    [Fact]
    public async Task Duration_histograms_have_the_same_bounds_and_the_canarys_p99_is_slower()
    {
        using var services = Prometheus.Services();

        var reading = await Data(services).ReadLatencyHistogramsAsync(Podinfo, LastSeconds(5), Ct);

        Assert.Equal(MetricQueryOutcome.Value, reading.Outcome);
        var (canary, primary) = (reading.Canary!, reading.Primary!);
        Assert.Equal(canary.UpperBounds, primary.UpperBounds);
        Assert.Equal(double.PositiveInfinity, canary.UpperBounds[^1]);
        Assert.True(canary.Cumulative.Zip(canary.Cumulative.Skip(1)).All(p => p.First <= p.Second), "cumulative counts");

        // P99 175 ms against 42 ms: the 99th percentile lies in a higher bucket on the canary's side.
        static double P99Bucket(LatencyHistogram h) => h.UpperBounds[h.Cumulative.ToList().FindIndex(c => c >= 0.99 * h.Cumulative[^1])];
        Assert.True(P99Bucket(canary) > P99Bucket(primary), $"canary p99 bucket {P99Bucket(canary)}, primary {P99Bucket(primary)}");
    }

    [Fact]
    public async Task Samples_are_a_range_query_rendered_for_each_side()
    {
        using var services = Prometheus.Services();
        var observer = services.GetRequiredKeyedService<IMetricObserver>("istio");
        var canaryQuery = Prometheus.Builtin(observer.RequestSuccessRateQuery, "podinfo", "5s");
        var primaryQuery = Prometheus.Builtin(observer.RequestSuccessRateQuery, "podinfo-primary", "5s");

        var reading = await Data(services).ReadSamplesAsync(canaryQuery, primaryQuery, LastSeconds(4), Ct);

        Assert.Equal(MetricQueryOutcome.Value, reading.Outcome);
        Assert.InRange(reading.Canary!.Count, 1, 5);
        Assert.All(reading.Canary, v => Assert.InRange(v, 85, 95));
        Assert.All(reading.Primary!, v => Assert.InRange(v, 98, 100));
    }

    [Fact]
    public async Task A_workload_without_traffic_has_no_values_naming_it()
    {
        using var services = Prometheus.Services();

        var reading = await Data(services).ReadRequestCountsAsync(Podinfo with { Canary = "backend" }, LastSeconds(5), Ct);

        Assert.Equal(MetricQueryOutcome.NoValues, reading.Outcome);
        Assert.Contains("no requests to backend.test", reading.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Another_mesh_is_refused_with_the_reason()
    {
        using var services = Prometheus.Services();

        var reading = await Data(services).ReadRequestCountsAsync(Podinfo with { Mesh = "linkerd" }, LastSeconds(5), Ct);

        Assert.Equal(MetricQueryOutcome.Failed, reading.Outcome);
        Assert.Contains("mesh provider 'linkerd' is not supported", reading.Error, StringComparison.Ordinal);
    }
}
