using System.Net.Security;
using Flagger.Metrics;
using Flagger.Providers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Prometheus;

namespace Flagger.Prometheus;

/// <summary>Registers the Prometheus metrics provider.</summary>
public static class FlaggerEngineBuilderPrometheusExtensions
{
    /// <summary>
    /// Registers the metrics provider type <c>prometheus</c> (the <c>--metrics-server</c> and MetricTemplates with
    /// <c>provider.type: prometheus</c>) and Istio's builtin queries, with HttpClient metrics from prometheus-net.
    /// Calling it twice is harmless; the last <paramref name="configure"/> calls all apply.
    /// </summary>
    /// <param name="builder">The engine builder.</param>
    /// <param name="configure">Timeout and the Istio duration histogram variant.</param>
    /// <returns>The builder.</returns>
    public static FlaggerEngineBuilder AddPrometheus(this FlaggerEngineBuilder builder, Action<PrometheusOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        var options = services.AddOptions<PrometheusOptions>().ValidateOnStart();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PrometheusOptions>, PrometheusOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        if (!services.Any(d => d.ServiceType == typeof(PrometheusMarker)))
        {
            services.AddSingleton<PrometheusMarker>();
            // No request logging: the factory's trace records carry the Authorization header's value in their state
            // (only the formatted text is redacted), and a structured log sink would write it out.
            services.AddHttpClient(PrometheusMetricsProviderFactory.ClientName).RemoveAllLoggers().UseHttpClientMetrics();
            services.AddHttpClient(PrometheusMetricsProviderFactory.InsecureClientName)
                .RemoveAllLoggers()
                .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
                {
                    SslOptions = new SslClientAuthenticationOptions
                    {
#pragma warning disable CA5359 // The MetricTemplate asked for it with insecureSkipVerify: true.
                        RemoteCertificateValidationCallback = (_, _, _, _) => true,
#pragma warning restore CA5359
                    },
                })
                .UseHttpClientMetrics();
        }

        // Core registers Istio's current queries; replace them (and only them) with the variant-aware observer.
        var istio = services.FirstOrDefault(d => d.ServiceType == typeof(IMetricObserver) && Equals(d.ServiceKey, "istio"));
        if (istio is null || istio.KeyedImplementationType == typeof(IstioMetricObserver))
        {
            services.RemoveAllKeyed<IMetricObserver>("istio");
            builder.AddMetricObserver<PrometheusIstioMetricObserver>("istio");
        }

        return builder.AddMetricsProvider<PrometheusMetricsProviderFactory>(PrometheusMetricsProviderFactory.Type);
    }

    /// <summary>Marks the one-time registrations as done.</summary>
    private sealed class PrometheusMarker;
}
