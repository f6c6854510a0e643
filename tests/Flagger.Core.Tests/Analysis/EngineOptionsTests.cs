namespace Flagger.Analysis;

public sealed class EngineOptionsTests
{
    [Fact]
    public void A_bad_metrics_server_is_reported_without_its_credentials()
    {
        var result = new EngineOptionsValidator().Validate(null, new EngineOptions { MetricsServer = "ftp://admin:s3cr3t-pass@prometheus:9090/?token=t0ken-value" });

        var failure = Assert.Single(result.Failures!);
        Assert.StartsWith("--metrics-server: must be an http(s) address, got '", failure, StringComparison.Ordinal);
        Assert.Contains("prometheus:9090", failure, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cr3t-pass", failure, StringComparison.Ordinal);
        Assert.DoesNotContain("t0ken-value", failure, StringComparison.Ordinal);
    }
}
