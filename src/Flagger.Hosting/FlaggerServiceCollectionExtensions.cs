using Flagger.Analysis;
using Flagger.Hosting.Metrics;
using Flagger.Hosting.Webhooks;
using Flagger.Leadership;
using Flagger.Providers;
using Flagger.Webhooks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Prometheus;

namespace Flagger.Hosting;

/// <summary>Registers the operator: the engine, the scheduler, webhooks and metrics.</summary>
public static class FlaggerServiceCollectionExtensions
{
    /// <summary>
    /// Adds the operator host on top of the engine. Chain provider packages on the result:
    /// <c>services.AddFlagger(...).AddKubernetes().AddIstio().AddPrometheus()</c>.
    /// </summary>
    /// <remarks>
    /// Flagger's series go to the <see cref="CollectorRegistry"/> of the service collection, which <c>/metrics</c>
    /// serves. Unless one is registered, the host gets its own, with the process and runtime series; register a
    /// <see cref="CollectorRegistry"/> singleton (before or after this call) to have them in yours instead.
    /// </remarks>
    public static FlaggerEngineBuilder AddFlagger(this IServiceCollection services, Action<EngineOptions>? engine = null, Action<FlaggerHostOptions>? host = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var builder = services.AddFlaggerEngine(engine);
        services.AddOptions<EngineOptions>().ValidateOnStart();
        var hostOptions = services.AddOptions<FlaggerHostOptions>().ValidateOnStart();
        if (host is not null)
        {
            hostOptions.Configure(host);
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<FlaggerHostOptions>, FlaggerHostOptionsValidator>());
        services.TryAddSingleton<Scheduling.TickBudgets>();
        services.TryAddSingleton<IWebhookClient, HttpWebhookClient>();
        // The host's own registry, not prometheus-net's process-wide default one: another host in the process (a
        // second engine, a test, the demo) must neither see nor remove this host's canary series. An embedder's own
        // CollectorRegistry, registered before or after this call, replaces it.
        services.TryAddSingleton<HostMetricsRegistry>();
        services.TryAddSingleton(sp => sp.GetRequiredService<HostMetricsRegistry>().Registry);
        services.TryAddSingleton(sp => new CanaryMetrics(sp.GetRequiredService<CollectorRegistry>()));
        services.TryAddSingleton<ILeaderGate>(AlwaysLeader.Instance);
        services.TryAddSingleton<FlaggerOperator>();
        services.AddHostedService(sp => sp.GetRequiredService<FlaggerOperator>());
        return builder;
    }
}
