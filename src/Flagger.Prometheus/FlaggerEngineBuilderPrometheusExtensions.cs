using System.Net.Security;
using Flagger.Metrics;
using Flagger.Providers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Http;
using Microsoft.Extensions.Options;
using Prometheus;
using Prometheus.HttpClientMetrics;

namespace Flagger.Prometheus;

/// <summary>Registers the Prometheus metrics provider.</summary>
public static class FlaggerEngineBuilderPrometheusExtensions
{
    /// <summary>Flagger's <c>--metrics-server</c> default.</summary>
    public const string DefaultMetricsServer = "http://prometheus:9090";

    /// <summary>
    /// Registers the metrics provider type <c>prometheus</c> (the <c>--metrics-server</c> and MetricTemplates with
    /// <c>provider.type: prometheus</c>), the builtin queries of the <c>istio</c> and <c>kubernetes</c> mesh providers, and makes it the provider of the builtin and inline queries (at <see cref="DefaultMetricsServer"/> unless <c>--metrics-server</c> says otherwise), with prometheus-net's HttpClient metrics in the registered <see cref="CollectorRegistry"/>, if there is one.
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
            services.AddHttpClient(PrometheusMetricsProviderFactory.ClientName).RemoveAllLoggers();
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
                });
            foreach (var client in new[] { PrometheusMetricsProviderFactory.ClientName, PrometheusMetricsProviderFactory.InsecureClientName })
            {
                services.Configure<HttpClientFactoryOptions>(client, o => o.HttpMessageHandlerBuilderActions.Add(CountRequests));
            }
        }

        // The builtin queries are PromQL, so they live here, under the mesh provider names they serve. An observer
        // registered before under the same name (a custom one) is kept: AddProvider adds only what is missing.
        return builder
            .AddMetricObserver<PrometheusIstioMetricObserver>(IstioMetricObserver.ProviderName)
            .AddMetricObserver<KubernetesMetricObserver>(KubernetesMetricObserver.ProviderName)
            .AddMetricsProvider<PrometheusMetricsProviderFactory>(PrometheusMetricsProviderFactory.Type)
            .UseBuiltinMetricsProvider(PrometheusMetricsProviderFactory.Type, DefaultMetricsServer);
    }

    /// <summary>
    /// prometheus-net's HttpClient metrics, in the <see cref="CollectorRegistry"/> of the services (the operator host
    /// registers its own, which its <c>/metrics</c> serves), not in prometheus-net's process-wide default registry,
    /// where every host in the process would export them. Without a registry nobody exports them: none are kept.
    /// </summary>
    private static void CountRequests(HttpMessageHandlerBuilder handlers)
    {
        if (handlers.Services.GetService<CollectorRegistry>() is not { } registry)
        {
            return;
        }

        var options = new HttpClientExporterOptions();
        options.InProgress.Registry = registry;
        options.RequestCount.Registry = registry;
        options.RequestDuration.Registry = registry;
        options.ResponseDuration.Registry = registry;
        handlers.UseHttpClientMetrics(options);
    }

    /// <summary>Marks the one-time registrations as done.</summary>
    private sealed class PrometheusMarker;
}
