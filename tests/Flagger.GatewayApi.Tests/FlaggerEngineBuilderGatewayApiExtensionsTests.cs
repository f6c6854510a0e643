using Flagger.Metrics;
using Flagger.Providers;
using Flagger.Routing;
using k8s;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Flagger.GatewayApi.Tests;

public sealed class FlaggerEngineBuilderGatewayApiExtensionsTests
{
    [Fact]
    public void Both_versions_are_registered_as_routers_with_every_capability_and_their_builtin_queries()
    {
        var services = new ServiceCollection();
        services.AddSingleton<IKubernetes>(new k8s.Kubernetes(new KubernetesClientConfiguration { Host = "http://127.0.0.1:1" }));
        services.AddFlaggerEngine().AddGatewayApi().AddGatewayApi();
        using var provider = services.BuildServiceProvider();

        foreach (var name in new[] { "gatewayapi:v1", "gatewayapi:v1beta1" })
        {
            Assert.NotNull(provider.GetRequiredKeyedService<IMeshRouter>(name));
            Assert.Equal(RouterCapabilities.Full, provider.GetRequiredKeyedService<RouterCapabilities>(name));
            var observer = provider.GetRequiredKeyedService<IMetricObserver>(name);
            Assert.Equal(
                "sum(rate(http_request_duration_seconds_count{kubernetes_namespace=\"{{ namespace }}\",kubernetes_pod_name=~\"{{ target }}-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)\",status!~\"5.*\"}[{{ interval }}])) / "
                + "sum(rate(http_request_duration_seconds_count{kubernetes_namespace=\"{{ namespace }}\",kubernetes_pod_name=~\"{{ target }}-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)\"}[{{ interval }}])) * 100",
                observer.RequestSuccessRateQuery);
            Assert.Equal(
                "histogram_quantile(0.99, sum(rate(http_request_duration_seconds_bucket{kubernetes_namespace=\"{{ namespace }}\",kubernetes_pod_name=~\"{{ target }}-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)\"}[{{ interval }}])) by (le)) * 1000",
                observer.RequestDurationQuery);
        }

        Assert.Single(services, d => d.ServiceType == typeof(HttpRoutes));
    }

    [Fact]
    public void Negative_conflict_retries_are_refused_at_start_naming_the_option()
    {
        var services = new ServiceCollection();
        services.AddSingleton<IKubernetes>(new k8s.Kubernetes(new KubernetesClientConfiguration { Host = "http://127.0.0.1:1" }));
        services.AddFlaggerEngine().AddGatewayApi(o => o.ConflictRetries = -1);
        using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<GatewayApiRouterOptions>>().Value);

        Assert.Equal("Gateway API ConflictRetries: must be zero or more, got -1", error.Message);
    }
}
