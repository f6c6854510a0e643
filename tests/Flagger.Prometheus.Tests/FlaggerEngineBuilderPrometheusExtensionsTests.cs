using Flagger.Metrics;
using Flagger.Providers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Flagger.Prometheus.Tests;

public sealed class FlaggerEngineBuilderPrometheusExtensionsTests
{
    [Fact]
    public void Registers_the_prometheus_factory_and_Istio_queries_as_in_Flagger()
    {
        using var services = Prometheus.Services();

        Assert.IsType<PrometheusMetricsProviderFactory>(services.GetRequiredKeyedService<IMetricsProviderFactory>("prometheus"));
        var observer = services.GetRequiredKeyedService<IMetricObserver>("istio");
        var core = new IstioMetricObserver();
        Assert.Equal(core.RequestSuccessRateQuery, observer.RequestSuccessRateQuery);
        Assert.Equal(core.RequestDurationQuery, observer.RequestDurationQuery);
    }

    [Fact]
    public void Serves_the_builtin_queries_of_the_kubernetes_provider_and_runs_them_at_Flaggers_default_address()
    {
        using var services = Prometheus.Services();

        Assert.IsType<KubernetesMetricObserver>(services.GetRequiredKeyedService<IMetricObserver>("kubernetes"));
        var engine = services.GetRequiredService<IOptions<Analysis.EngineOptions>>().Value;
        Assert.Equal(("prometheus", "http://prometheus:9090"), (engine.MetricsProviderType, engine.MetricsServer));
    }

    [Fact]
    public void A_custom_observer_registered_first_is_kept()
    {
        var services = new ServiceCollection();
        var custom = new KubernetesMetricObserver();
        services.AddFlaggerEngine().AddProvider<IMetricObserver>("istio", custom).AddPrometheus();

        using var provider = services.BuildServiceProvider();
        Assert.Same(custom, provider.GetRequiredKeyedService<IMetricObserver>("istio"));
    }

    [Fact]
    public void Queries_time_out_after_5_seconds_by_default()
    {
        using var services = Prometheus.Services();

        Assert.Equal(TimeSpan.FromSeconds(5), services.GetRequiredService<IOptions<PrometheusOptions>>().Value.Timeout);
    }

    [Fact]
    public void Calling_it_twice_registers_once()
    {
        var services = new ServiceCollection();
        services.AddFlaggerEngine().AddPrometheus().AddPrometheus(o => o.UseIstioSecondsHistogram = true);

        Assert.Single(services, d => d.ServiceType == typeof(IMetricsProviderFactory) && Equals(d.ServiceKey, "prometheus"));
        Assert.Single(services, d => d.ServiceType == typeof(IMetricObserver) && Equals(d.ServiceKey, "istio"));
        using var provider = services.BuildServiceProvider();
        Assert.Contains("istio_request_duration_seconds_bucket", provider.GetRequiredKeyedService<IMetricObserver>("istio").RequestDurationQuery, StringComparison.Ordinal);
    }

    [Fact]
    public void A_custom_istio_observer_is_left_alone()
    {
        var services = new ServiceCollection();
        var builder = services.AddFlaggerEngine();
        services.RemoveAllKeyed<IMetricObserver>("istio");
        builder.AddMetricObserver<CustomObserver>("istio").AddPrometheus();

        using var provider = services.BuildServiceProvider();
        Assert.IsType<CustomObserver>(provider.GetRequiredKeyedService<IMetricObserver>("istio"));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void A_timeout_that_is_not_positive_fails_validation(int seconds)
    {
        using var services = Prometheus.Services(o => o.Timeout = TimeSpan.FromSeconds(seconds));

        var error = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<PrometheusOptions>>().Value);
        Assert.StartsWith("Prometheus Timeout: must be a positive duration", error.Message, StringComparison.Ordinal);
    }

    private sealed class CustomObserver : IMetricObserver
    {
        public string RequestSuccessRateQuery => "a";

        public string RequestDurationQuery => "b";
    }
}
