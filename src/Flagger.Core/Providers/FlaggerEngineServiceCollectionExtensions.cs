using Flagger.Analysis;
using Flagger.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Flagger.Providers;

/// <summary>Registers the analysis engine.</summary>
public static class FlaggerEngineServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="CanaryEngine"/>. It knows no provider by name: the store, event recorder, webhook client, mesh
    /// routers (each with its <see cref="RouterCapabilities"/>), builtin metric queries and the default mesh provider
    /// come from the provider packages' <c>AddXxx</c> extensions or your own code.
    /// </summary>
    public static FlaggerEngineBuilder AddFlaggerEngine(this IServiceCollection services, Action<EngineOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<EngineOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<EngineOptions>, EngineOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<ProviderResolver>();
        services.TryAddSingleton<FailureDescriber>();
        services.TryAddSingleton<MetricReader>();
        services.TryAddSingleton<Observer>();
        services.TryAddSingleton<TransitionApplier>();
        services.TryAddSingleton(sp => new CanaryEngine(
            sp.GetRequiredService<ProviderResolver>(),
            sp.GetRequiredService<Store.ICanaryStore>(),
            sp.GetRequiredService<Observer>(),
            sp.GetRequiredService<TransitionApplier>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<IOptions<EngineOptions>>(),
            sp.GetService<Microsoft.Extensions.Logging.ILoggerFactory>()));
        services.TryAddSingleton(sp => new Finalizing.CanaryFinalizer(
            sp.GetRequiredService<ProviderResolver>(),
            sp.GetRequiredService<Store.ICanaryStore>(),
            sp.GetService<Store.ICanaryFinalizerStore>(),
            sp.GetService<Events.IEventRecorder>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<IOptions<EngineOptions>>()));
        services.TryAddSingleton(sp => new ReferenceMonitor(
            sp.GetRequiredService<ProviderResolver>(),
            sp.GetService<Store.IReferencedResourceStore>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetService<Microsoft.Extensions.Logging.ILoggerFactory>()));
        return new FlaggerEngineBuilder(services);
    }
}
