using Flagger.Kubernetes;
using Flagger.Kubernetes.Caches;
using Flagger.Providers;
using k8s;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Flagger.Istio;

/// <summary>Registers the Istio mesh router.</summary>
public static class FlaggerEngineBuilderIstioExtensions
{
    /// <summary>The provider name users write in <c>spec.provider</c> and <c>--mesh-provider</c>.</summary>
    public const string ProviderName = "istio";

    /// <summary>
    /// Key of an optional keyed <see cref="IKubernetes"/> for the cluster that runs the mesh (Flagger's
    /// <c>-kubeconfig-service-mesh</c>); without it the router uses the unkeyed <see cref="IKubernetes"/>.
    /// </summary>
    public const string MeshClientKey = "istio";

    /// <summary>
    /// Registers the mesh router <c>istio</c>, the default mesh provider unless <c>--mesh-provider</c> names another: VirtualService <c>&lt;svc&gt;</c> and DestinationRules
    /// <c>&lt;svc&gt;-primary</c> / <c>&lt;svc&gt;-canary</c>, written through the <see cref="IKubernetes"/> client in the
    /// container. Calling it twice is harmless.
    /// </summary>
    /// <param name="builder">The engine builder.</param>
    /// <param name="configure">API version, owner references and conflict retries.</param>
    /// <returns>The builder.</returns>
    public static FlaggerEngineBuilder AddIstio(this FlaggerEngineBuilder builder, Action<IstioRouterOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = builder.Services.AddOptions<IstioRouterOptions>().ValidateOnStart();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<IstioRouterOptions>, IstioRouterOptionsValidator>());
        builder.Services.AddCustomObjectInformers();
        builder.Services.TryAddSingleton(sp => new IstioObjects(
            sp.GetKeyedService<IKubernetes>(MeshClientKey) ?? sp.GetRequiredService<IKubernetes>(),
            sp.GetRequiredService<IOptions<IstioRouterOptions>>(),
            sp.GetRequiredService<CustomObjectInformers>(),
            sp.GetService<IOptions<KubernetesOptions>>()));
        // Flagger's --mesh-provider defaults to istio; with this package in, so does ours.
        return builder.AddMeshRouter<IstioRouter>(ProviderName).UseDefaultMeshProvider(ProviderName);
    }
}
