using Flagger.Providers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Flagger.Analysis;

public sealed class EngineOptionsTests
{
    [Fact]
    public async Task Without_a_default_mesh_provider_a_canary_that_names_none_is_told_to()
    {
        using var harness = new Fakes.CanaryHarness(Fakes.Walkthrough.Canary(), configure: o => o.MeshProvider = string.Empty, defaults: false);

        await harness.TickAsync();

        Assert.StartsWith("Warning invalid canary spec: spec.provider: required: the operator has no default mesh provider (--mesh-provider); set one of ", Assert.Single(harness.Recorder.Lines), StringComparison.Ordinal);
    }

    [Fact]
    public void The_first_package_to_claim_a_default_wins_and_a_given_value_is_kept()
    {
        var services = new ServiceCollection();
        services.AddFlaggerEngine(o => o.MetricsServer = "http://metrics.example:9090")
            .UseDefaultMeshProvider("mesh-a").UseDefaultMeshProvider("mesh-b")
            .UseBuiltinMetricsProvider("store-a", "http://a:1").UseBuiltinMetricsProvider("store-b", "http://b:1");
        using var provider = services.BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<EngineOptions>>().Value;

        Assert.Equal(("mesh-a", "store-a", "http://metrics.example:9090"), (options.MeshProvider, options.MetricsProviderType, options.MetricsServer));
    }

    [Fact]
    public void A_bad_metrics_server_is_reported_without_its_credentials()
    {
        var result = new EngineOptionsValidator().Validate(null, new EngineOptions { MeshProvider = "istio", MetricsServer = "ftp://admin:s3cr3t-pass@prometheus:9090/?token=t0ken-value" });

        var failure = Assert.Single(result.Failures!);
        Assert.StartsWith("--metrics-server: must be an http(s) address, got '", failure, StringComparison.Ordinal);
        Assert.Contains("prometheus:9090", failure, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cr3t-pass", failure, StringComparison.Ordinal);
        Assert.DoesNotContain("t0ken-value", failure, StringComparison.Ordinal);
    }
}
