using System.Diagnostics;
using Flagger.Metrics;
using Flagger.Prometheus.Tests.Fixtures;
using Flagger.Providers;
using Microsoft.Extensions.DependencyInjection;

namespace Flagger.Prometheus.Tests;

/// <summary>The provider against the real Prometheus, scraping an exporter with known traffic.</summary>
public sealed class PrometheusMetricsProviderTests(PrometheusServer prometheus)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string> Workloads => ["podinfo", "podinfo-primary"];

    [Theory]
    [MemberData(nameof(Workloads))]
    public async Task Success_rate_is_what_the_workload_serves(string target)
    {
        using var services = Prometheus.Services();
        var observer = services.GetRequiredKeyedService<IMetricObserver>("istio");

        var result = await services.Provider(prometheus.Address).RunQueryAsync(Prometheus.Builtin(observer.RequestSuccessRateQuery, target), Ct);

        var expected = Traffic(target).SuccessRatePercent;
        Assert.Equal(MetricQueryOutcome.Value, result.Outcome);
        Assert.InRange(result.Value, expected * 0.99, expected * 1.01);
    }

    [Theory]
    [MemberData(nameof(Workloads))]
    public async Task Request_duration_is_the_P99_in_milliseconds(string target)
    {
        using var services = Prometheus.Services();
        var observer = services.GetRequiredKeyedService<IMetricObserver>("istio");

        var result = await services.Provider(prometheus.Address).RunQueryAsync(Prometheus.Builtin(observer.RequestDurationQuery, target, "30s"), Ct);

        var expected = Traffic(target).P99Milliseconds;
        Assert.Equal(MetricQueryOutcome.Value, result.Outcome);
        Assert.InRange(result.Value, expected * 0.99, expected * 1.01);
    }

    [Fact]
    public async Task Pre_1_5_Istio_seconds_histogram_gives_the_same_P99_in_milliseconds()
    {
        using var services = Prometheus.Services(o => o.UseIstioSecondsHistogram = true);
        var observer = services.GetRequiredKeyedService<IMetricObserver>("istio");

        var result = await services.Provider(prometheus.Address).RunQueryAsync(Prometheus.Builtin(observer.RequestDurationQuery, "podinfo"), Ct);

        Assert.Contains("istio_request_duration_seconds_bucket", observer.RequestDurationQuery, StringComparison.Ordinal);
        Assert.InRange(result.Value, PrometheusServer.Canary.P99Milliseconds * 0.99, PrometheusServer.Canary.P99Milliseconds * 1.01);
    }

    [Fact]
    public async Task A_workload_without_traffic_has_no_values()
    {
        using var services = Prometheus.Services();
        var observer = services.GetRequiredKeyedService<IMetricObserver>("istio");

        var result = await services.Provider(prometheus.Address).RunQueryAsync(Prometheus.Builtin(observer.RequestSuccessRateQuery, "idle"), Ct);

        Assert.Equal(MetricQueryOutcome.NoValues, result.Outcome);
        Assert.Equal("running query failed: no values found", result.Error);
    }

    [Fact]
    public async Task NaN_counts_as_no_values()
    {
        using var services = Prometheus.Services();

        var result = await services.Provider(prometheus.Address).RunQueryAsync("vector(0) / vector(0)", Ct);

        Assert.Equal(MetricQueryOutcome.NoValues, result.Outcome);
    }

    [Fact]
    public async Task Several_series_are_a_multiple_values_error()
    {
        using var services = Prometheus.Services();

        var result = await services.Provider(prometheus.Address).RunQueryAsync("""istio_requests_total{reporter="destination",destination_workload_namespace="test"}""", Ct);

        Assert.Equal(MetricQueryOutcome.Failed, result.Outcome);
        Assert.StartsWith("multiple values returned: the query matched 4 series", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_range_vector_is_a_multiple_values_error()
    {
        using var services = Prometheus.Services();

        var result = await services.Provider(prometheus.Address).RunQueryAsync("""sum(istio_requests_total{reporter="destination"})[10s:1s]""", Ct);

        Assert.Equal(MetricQueryOutcome.Failed, result.Outcome);
        Assert.Contains("range vector", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_PromQL_error_carries_Prometheus_own_text()
    {
        using var services = Prometheus.Services();

        var result = await services.Provider(prometheus.Address).RunQueryAsync("sum(rate(istio_requests_total[1m])", Ct);

        Assert.Equal(MetricQueryOutcome.Failed, result.Outcome);
        Assert.StartsWith("bad_data: invalid parameter \"query\": ", result.Error, StringComparison.Ordinal);
        Assert.Contains("parse error", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Online_when_vector_1_returns_1()
    {
        using var services = Prometheus.Services();

        var health = await services.Provider(prometheus.Address).CheckHealthAsync(Ct);

        Assert.Equal(ProviderHealth.Online, health);
    }

    [Fact]
    public async Task Offline_when_nothing_listens()
    {
        using var services = Prometheus.Services();

        var health = await services.Provider(new Uri("http://127.0.0.1:1")).CheckHealthAsync(Ct);

        Assert.False(health.IsOnline);
        Assert.StartsWith("request to http://127.0.0.1:1/ failed: ", health.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Errors_name_the_server_without_the_credentials_in_its_address()
    {
        using var services = Prometheus.Services();

        var result = await services.Provider(new Uri("http://flagger:pa55-in-url@127.0.0.1:1/?tenant=t-secret")).RunQueryAsync("vector(1)", Ct);

        Assert.StartsWith("request to http://[redacted]@127.0.0.1:1/?tenant=[redacted] failed: ", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("pa55-in-url", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("t-secret", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sends_the_query_with_whitespace_collapsed_and_the_template_headers()
    {
        using var services = Prometheus.Services();
        var headers = new Dictionary<string, IReadOnlyList<string>> { ["X-Scope-OrgID"] = ["tenant-1"] };
        var credentials = new Dictionary<string, string> { ["token"] = AuthProxy.Token };
        var provider = services.Provider(prometheus.Proxy.Address, credentials, headers);

        var result = await provider.RunQueryAsync(Prometheus.Builtin(new IstioMetricObserver().RequestSuccessRateQuery, "podinfo"), Ct);

        Assert.Equal(MetricQueryOutcome.Value, result.Outcome);
        var sent = prometheus.Proxy.Requests.Last(r => r.Headers["X-Scope-OrgID"] == "tenant-1");
        Assert.Equal(
            """sum(rate(istio_requests_total{reporter="destination",destination_workload_namespace="test",destination_workload=~"podinfo",response_code!~"5.*"}[1m])) / sum(rate(istio_requests_total{reporter="destination",destination_workload_namespace="test",destination_workload=~"podinfo"}[1m])) * 100""",
            sent.Query);
    }

    [Fact]
    public async Task Without_credentials_the_proxy_answer_is_the_error()
    {
        using var services = Prometheus.Services();

        var result = await services.Provider(prometheus.Proxy.Address).RunQueryAsync("vector(1)", Ct);

        Assert.Equal(MetricQueryOutcome.Failed, result.Outcome);
        Assert.Equal($"{prometheus.Proxy.Address} answered 401 Unauthorized: missing or wrong credentials", result.Error);
    }

    [Fact]
    public async Task Bearer_token_from_the_secret_authenticates()
    {
        using var services = Prometheus.Services();

        var health = await services.Provider(prometheus.Proxy.Address, new Dictionary<string, string> { ["token"] = AuthProxy.Token }).CheckHealthAsync(Ct);

        Assert.Equal(ProviderHealth.Online, health);
    }

    [Fact]
    public async Task Basic_credentials_from_the_secret_authenticate()
    {
        using var services = Prometheus.Services();
        var credentials = new Dictionary<string, string> { ["username"] = AuthProxy.User, ["password"] = AuthProxy.Password };

        var result = await services.Provider(prometheus.Proxy.Address, credentials).RunQueryAsync("vector(42)", Ct);

        Assert.Equal(42, result.Value);
    }

    [Fact]
    public async Task A_slow_server_times_out_with_the_configured_timeout()
    {
        using var services = Prometheus.Services(o => o.Timeout = TimeSpan.FromMilliseconds(300));
        var slow = new Uri(prometheus.Proxy.Address, "/slow");
        var stopwatch = Stopwatch.StartNew();

        var result = await services.Provider(slow, new Dictionary<string, string> { ["token"] = AuthProxy.Token }).RunQueryAsync("vector(1)", Ct);

        Assert.Equal(MetricQueryOutcome.Failed, result.Outcome);
        Assert.Equal($"no answer from {slow} within 0.3s", result.Error);
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(5), $"took {stopwatch.Elapsed}");
    }

    [Fact]
    public async Task Queries_are_counted_in_prometheus_net_HttpClient_metrics_of_the_registered_registry_only()
    {
        var registry = global::Prometheus.Metrics.NewCustomRegistry();
        var collection = new ServiceCollection();
        collection.AddSingleton(registry);
        collection.AddFlaggerEngine().AddPrometheus();
        using var services = collection.BuildServiceProvider();
        await services.Provider(prometheus.Address).RunQueryAsync("vector(1)", Ct);

        Assert.Contains((await ExportAsync(registry)).Split('\n'), l => l.StartsWith("httpclient_requests_sent_total{", StringComparison.Ordinal) && l.Contains("client=\"flagger-prometheus\"", StringComparison.Ordinal));
        // Not in prometheus-net's process-wide registry, where every operator host of the process would export it.
        Assert.DoesNotContain("client=\"flagger-prometheus\"", await ExportAsync(global::Prometheus.Metrics.DefaultRegistry), StringComparison.Ordinal);
    }

    private static async Task<string> ExportAsync(global::Prometheus.CollectorRegistry registry)
    {
        using var exposition = new MemoryStream();
        await registry.CollectAndExportAsTextAsync(exposition, Ct);
        return System.Text.Encoding.UTF8.GetString(exposition.ToArray());
    }

    private static WorkloadTraffic Traffic(string target) => target == "podinfo" ? PrometheusServer.Canary : PrometheusServer.Primary;
}
