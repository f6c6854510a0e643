using Flagger.Events;
using Flagger.Kubernetes;
using Flagger.Kubernetes.Caches;
using Flagger.Kubernetes.Configs;
using Flagger.Kubernetes.Events;
using Flagger.Kubernetes.Leadership;
using Flagger.Kubernetes.Scalers;
using Flagger.Kubernetes.Services;
using Flagger.Kubernetes.Store;
using Flagger.Kubernetes.Targets;
using Flagger.Leadership;
using Flagger.Store;
using k8s;
using k8s.Models;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Flagger.Providers;

/// <summary>Registers the Kubernetes adapters on the engine builder.</summary>
public static class FlaggerEngineBuilderKubernetesExtensions
{
    /// <summary>
    /// Adds the Deployment and DaemonSet target controllers, the Kubernetes Service router, the mesh provider <c>kubernetes</c> (Blue/Green by the apex Service alone), the HorizontalPodAutoscaler reconciler,
    /// the watch-fed Canary store and feed, the Kubernetes event recorder and Lease leader election. Uses the
    /// <see cref="IKubernetes"/> the host registered, or builds one from <see cref="KubernetesOptions.ClientConfiguration"/>,
    /// the in-cluster config or the kubeconfig. Calling it twice is harmless.
    /// </summary>
    /// <param name="builder">The engine builder from <c>AddFlaggerEngine</c>.</param>
    /// <param name="configure">Adjusts the options (selector labels, include-label prefixes, config tracking, namespace).</param>
    /// <returns>The builder.</returns>
    public static FlaggerEngineBuilder AddKubernetes(this FlaggerEngineBuilder builder, Action<KubernetesOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        var options = services.AddOptions<KubernetesOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        options.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<KubernetesOptions>, KubernetesOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IKubernetes>(sp => new k8s.Kubernetes(ClientConfiguration(sp.GetRequiredService<IOptions<KubernetesOptions>>().Value)));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IFailureDescriber, ApiFailureDescriber>());
        services.TryAddSingleton<ClusterCache>();
        services.TryAddSingleton<OwnershipConflicts>();
        services.TryAddSingleton<ConfigTracker>();
        services.TryAddSingleton<KubernetesCanaryStore>();
        services.TryAddSingleton<ICanaryStore>(sp => sp.GetRequiredService<KubernetesCanaryStore>());
        services.TryAddSingleton<ISecretReader>(sp => sp.GetRequiredService<KubernetesCanaryStore>());
        services.TryAddSingleton<ICanaryFinalizerStore>(sp => sp.GetRequiredService<KubernetesCanaryStore>());
        services.TryAddSingleton<ICanaryFeed, KubernetesCanaryFeed>();
        services.TryAddSingleton<KubernetesEventRecorder>();
        services.TryAddSingleton<IEventRecorder>(sp => sp.GetRequiredService<KubernetesEventRecorder>());
        services.TryAddSingleton<IReferencedResourceStore, KubernetesReferenceStore>();
        services.TryAddSingleton<ILeaseLeadership, LeaseLeadership>();

        // Replaces the host's default single-replica gate; decided when resolved, after options are bound.
        services.Replace(ServiceDescriptor.Singleton<ILeaderGate>(sp =>
            sp.GetRequiredService<IOptions<KubernetesOptions>>().Value.EnableLeaderElection
                ? sp.GetRequiredService<ILeaseLeadership>()
                : AlwaysLeader.Instance));
        return builder
            .AddTargetController<WorkloadController<V1Deployment, DeploymentKind>>(DeploymentKind.Kind)
            .AddTargetController<WorkloadController<V1DaemonSet, DaemonSetKind>>(DaemonSetKind.Kind)
            .AddServiceRouter<KubernetesServiceRouter>()
            .AddMeshRouter<KubernetesNoopRouter>(KubernetesNoopRouter.ProviderName, KubernetesNoopRouter.Capabilities)
            .AddScalerReconciler<HpaReconciler>("HorizontalPodAutoscaler");
    }

    // Flagger's order: explicit configuration, then in-cluster, then the kubeconfig; never a silent localhost.
    private static KubernetesClientConfiguration ClientConfiguration(KubernetesOptions options) =>
        options.ClientConfiguration
        ?? (KubernetesClientConfiguration.IsInCluster() ? KubernetesClientConfiguration.InClusterConfig() : KubernetesClientConfiguration.BuildConfigFromConfigFile());
}
