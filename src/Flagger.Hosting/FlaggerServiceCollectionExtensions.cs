using Flagger.Analysis;
using Flagger.Hosting.Metrics;
using Flagger.Hosting.Webhooks;
using Flagger.Leadership;
using Flagger.Providers;
using Flagger.Webhooks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Flagger.Hosting;

/// <summary>Registers the operator: the engine, the scheduler, webhooks and metrics.</summary>
public static class FlaggerServiceCollectionExtensions
{
    /// <summary>
    /// Adds the operator host on top of the engine. Chain provider packages on the result:
    /// <c>services.AddFlagger(...).AddKubernetes().AddIstio().AddPrometheus()</c>.
    /// </summary>
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
        services.TryAddSingleton(_ => new CanaryMetrics(Prometheus.Metrics.DefaultRegistry));
        services.TryAddSingleton<ILeaderGate>(AlwaysLeader.Instance);
        services.TryAddSingleton<FlaggerOperator>();
        services.AddHostedService(sp => sp.GetRequiredService<FlaggerOperator>());
        return builder;
    }
}
