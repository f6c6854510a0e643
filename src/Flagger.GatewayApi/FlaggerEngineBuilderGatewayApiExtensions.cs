using Flagger.Kubernetes;
using Flagger.Kubernetes.Caches;
using Flagger.Providers;
using Flagger.Routing;
using k8s;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Flagger.GatewayApi;

/// <summary>Registers the Gateway API router.</summary>
public static class FlaggerEngineBuilderGatewayApiExtensions
{
    /// <summary>The provider name for <c>gateway.networking.k8s.io/v1</c> HTTPRoutes.</summary>
    public const string V1ProviderName = "gatewayapi:v1";

    /// <summary>The provider name for <c>gateway.networking.k8s.io/v1beta1</c> HTTPRoutes.</summary>
    public const string V1Beta1ProviderName = "gatewayapi:v1beta1";

    /// <summary>
    /// Key of an optional keyed <see cref="IKubernetes"/> for the cluster that holds the HTTPRoutes; without it the
    /// router uses the unkeyed <see cref="IKubernetes"/>.
    /// </summary>
    public const string ClientKey = "gatewayapi";

    /// <summary>
    /// Registers the mesh routers <c>gatewayapi:v1</c> and <c>gatewayapi:v1beta1</c>: one HTTPRoute <c>&lt;svc&gt;</c>
    /// attached to <c>spec.service.gatewayRefs</c>, weighted between <c>&lt;svc&gt;-primary</c> and
    /// <c>&lt;svc&gt;-canary</c>, and the builtin <c>request-success-rate</c> and <c>request-duration</c> queries of
    /// both. Calling it twice is harmless.
    /// </summary>
    /// <param name="builder">The engine builder.</param>
    /// <param name="configure">Owner references and conflict retries.</param>
    /// <returns>The builder.</returns>
    public static FlaggerEngineBuilder AddGatewayApi(this FlaggerEngineBuilder builder, Action<GatewayApiRouterOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = builder.Services.AddOptions<GatewayApiRouterOptions>().ValidateOnStart();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<GatewayApiRouterOptions>, GatewayApiRouterOptionsValidator>());
        builder.Services.AddCustomObjectInformers();
        builder.Services.TryAddSingleton(sp => new HttpRoutes(
            sp.GetKeyedService<IKubernetes>(ClientKey) ?? sp.GetRequiredService<IKubernetes>(),
            sp.GetRequiredService<IOptions<GatewayApiRouterOptions>>(),
            sp.GetRequiredService<CustomObjectInformers>(),
            sp.GetService<IOptions<KubernetesOptions>>()));

        // Every capability: weights, mirroring (Blue/Green only, as Flagger), and nothing to exist before the primary.
        return builder
            .AddMeshRouter<GatewayApiRouter<GatewayApiV1>>(V1ProviderName, RouterCapabilities.Full)
            .AddMeshRouter<GatewayApiRouter<GatewayApiV1Beta1>>(V1Beta1ProviderName, RouterCapabilities.Full)
            .AddMetricObserver<GatewayApiMetricObserver>(V1ProviderName)
            .AddMetricObserver<GatewayApiMetricObserver>(V1Beta1ProviderName);
    }
}
