using Flagger.Metrics;

namespace Flagger.Prometheus.Tests;

public sealed class PrometheusMetricsProviderFactoryTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("prometheus:9090")]
    [InlineData("ftp://prometheus:9090")]
    public async Task An_address_that_is_not_http_fails_every_query_with_a_reason(string? address)
    {
        using var services = Prometheus.Services();
        var factory = Microsoft.Extensions.DependencyInjection.ServiceProviderKeyedServiceExtensions.GetRequiredKeyedService<IMetricsProviderFactory>(services, "prometheus");

        var provider = factory.Create(new MetricsProviderSettings { Type = "prometheus", Address = address });

        var result = await provider.RunQueryAsync("vector(1)", Ct);
        Assert.Equal($"prometheus address '{address}' is not an absolute http(s) URL", result.Error);
        Assert.False((await provider.CheckHealthAsync(Ct)).IsOnline);
    }

    [Fact]
    public async Task A_secret_without_token_or_username_and_password_is_reported()
    {
        using var services = Prometheus.Services();

        var provider = services.Provider(new Uri("http://prometheus:9090"), new Dictionary<string, string> { ["username"] = "only" });

        var result = await provider.RunQueryAsync("vector(1)", Ct);
        Assert.Equal(MetricQueryOutcome.Failed, result.Outcome);
        Assert.Equal("prometheus credentials Secret must contain 'token', or 'username' and 'password'", result.Error);
    }

    [Theory]
    [InlineData("http://prometheus:9090", "up", "http://prometheus:9090/api/v1/query?query=up")]
    [InlineData("http://prometheus:9090/", "a  b\n\tc ", "http://prometheus:9090/api/v1/query?query=a%20b%20c")]
    [InlineData("https://example.com/prom/", "rate(x[1m])", "https://example.com/prom/api/v1/query?query=rate%28x%5B1m%5D%29")]
    public void Query_address_keeps_the_server_path_and_escapes_the_collapsed_query(string address, string query, string expected) =>
        Assert.Equal(expected, PrometheusMetricsProvider.QueryUri(new Uri(address), PrometheusMetricsProvider.CollapseWhitespace(query)).AbsoluteUri);
}
