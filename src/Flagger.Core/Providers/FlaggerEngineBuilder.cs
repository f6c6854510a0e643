using System.Diagnostics.CodeAnalysis;
using Flagger.Analysis;
using Flagger.Metrics;
using Flagger.Notifications;
using Flagger.Routing;
using Flagger.Targets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Flagger.Providers;

/// <summary>Registers providers under the names users write in YAML; provider packages add <c>AddXxx</c> extensions on it.</summary>
public sealed class FlaggerEngineBuilder
{
    internal FlaggerEngineBuilder(IServiceCollection services) => Services = services;

    /// <summary>The key the router of the apex, primary and canary Services is registered under.</summary>
    public const string ServiceRouterName = "service-router";

    /// <summary>The service collection being configured.</summary>
    public IServiceCollection Services { get; }

    /// <summary>Registers <typeparamref name="TImplementation"/> as the <typeparamref name="TPort"/> named <paramref name="name"/>; a second call is harmless.</summary>
    public FlaggerEngineBuilder AddProvider<TPort, [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TImplementation>(string name)
        where TPort : class
        where TImplementation : class, TPort
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Services.TryAddKeyedSingleton<TPort, TImplementation>(name);
        Register(new ProviderRegistration(typeof(TPort), name));
        return this;
    }

    /// <summary>Registers an existing instance as the <typeparamref name="TPort"/> named <paramref name="name"/>.</summary>
    public FlaggerEngineBuilder AddProvider<TPort>(string name, TPort instance)
        where TPort : class
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Services.TryAddKeyedSingleton(name, instance);
        Register(new ProviderRegistration(typeof(TPort), name));
        return this;
    }

    /// <summary>Registers a mesh router for <c>spec.provider</c> / <c>--mesh-provider</c> <paramref name="provider"/>, with every capability.</summary>
    public FlaggerEngineBuilder AddMeshRouter<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TRouter>(string provider)
        where TRouter : class, IMeshRouter => AddMeshRouter<TRouter>(provider, RouterCapabilities.Full);

    /// <summary>
    /// Registers a mesh router for <c>spec.provider</c> / <c>--mesh-provider</c> <paramref name="provider"/> with what it
    /// can do; the engine adapts each canary to <paramref name="capabilities"/> (a router without weights runs Blue/Green).
    /// </summary>
    public FlaggerEngineBuilder AddMeshRouter<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TRouter>(string provider, RouterCapabilities capabilities)
        where TRouter : class, IMeshRouter
    {
        ArgumentNullException.ThrowIfNull(capabilities);
        AddProvider<RouterCapabilities>(provider, capabilities);
        return AddProvider<IMeshRouter, TRouter>(provider);
    }

    /// <summary>
    /// Makes <paramref name="provider"/> the mesh provider of canaries without <c>spec.provider</c>, unless
    /// <see cref="EngineOptions.MeshProvider"/> is set (<c>--mesh-provider</c>). The first package to call it wins.
    /// </summary>
    public FlaggerEngineBuilder UseDefaultMeshProvider(string provider)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(provider);
        Services.PostConfigure<EngineOptions>(o =>
        {
            if (string.IsNullOrWhiteSpace(o.MeshProvider))
            {
                o.MeshProvider = provider;
            }
        });
        return this;
    }

    /// <summary>
    /// Makes the metrics provider <paramref name="type"/> run the builtin and inline queries, against
    /// <paramref name="defaultAddress"/> unless <see cref="EngineOptions.MetricsServer"/> is set
    /// (<c>--metrics-server</c>). Options already set are kept; the first package to call it wins.
    /// </summary>
    public FlaggerEngineBuilder UseBuiltinMetricsProvider(string type, string defaultAddress)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(type);
        ArgumentException.ThrowIfNullOrWhiteSpace(defaultAddress);
        Services.PostConfigure<EngineOptions>(o =>
        {
            if (string.IsNullOrWhiteSpace(o.MetricsProviderType))
            {
                o.MetricsProviderType = type;
                if (string.IsNullOrWhiteSpace(o.MetricsServer))
                {
                    o.MetricsServer = defaultAddress;
                }
            }
        });
        return this;
    }

    /// <summary>Registers the router of the apex, primary and canary Kubernetes Services.</summary>
    public FlaggerEngineBuilder AddServiceRouter<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TRouter>()
        where TRouter : class, IServiceRouter => AddProvider<IServiceRouter, TRouter>(ServiceRouterName);

    /// <summary>Registers the builtin metric queries of mesh <paramref name="provider"/>.</summary>
    public FlaggerEngineBuilder AddMetricObserver<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TObserver>(string provider)
        where TObserver : class, IMetricObserver => AddProvider<IMetricObserver, TObserver>(provider);

    /// <summary>Registers a target controller for <c>targetRef.kind</c> <paramref name="kind"/>.</summary>
    public FlaggerEngineBuilder AddTargetController<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TController>(string kind)
        where TController : class, ITargetController => AddProvider<ITargetController, TController>(kind);

    /// <summary>Registers an autoscaler reconciler for <c>autoscalerRef.kind</c> <paramref name="kind"/>.</summary>
    public FlaggerEngineBuilder AddScalerReconciler<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TReconciler>(string kind)
        where TReconciler : class, IScalerReconciler => AddProvider<IScalerReconciler, TReconciler>(kind);

    /// <summary>Registers a metrics provider factory for MetricTemplate <c>provider.type</c> <paramref name="type"/>.</summary>
    public FlaggerEngineBuilder AddMetricsProvider<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TFactory>(string type)
        where TFactory : class, IMetricsProviderFactory => AddProvider<IMetricsProviderFactory, TFactory>(type);

    /// <summary>Registers a notifier factory for AlertProvider <c>type</c> <paramref name="type"/>.</summary>
    public FlaggerEngineBuilder AddNotifier<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TFactory>(string type)
        where TFactory : class, INotifierFactory => AddProvider<INotifierFactory, TFactory>(type);

    private void Register(ProviderRegistration registration)
    {
        if (!Services.Any(d => d.ServiceType == typeof(ProviderRegistration) && Equals(d.ImplementationInstance, registration)))
        {
            Services.AddSingleton(registration);
        }
    }
}
