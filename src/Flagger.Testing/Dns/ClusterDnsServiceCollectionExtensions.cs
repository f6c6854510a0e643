using Flagger.Notifications;
using Flagger.Webhooks;
using Microsoft.Extensions.DependencyInjection;

namespace Flagger.Testing.Dns;

/// <summary>Plugs <see cref="ClusterDns"/> into an operator composed on an embedded cluster.</summary>
public static class ClusterDnsServiceCollectionExtensions
{
    /// <summary>
    /// Makes the operator's outgoing HTTP resolve cluster names as a pod in <paramref name="operatorNamespace"/>
    /// would: every <see cref="IHttpClientFactory"/> client (metrics providers) gets a <see cref="ClusterDnsHandler"/>,
    /// and webhook URLs and AlertProvider addresses naming a Service reach the app serving behind it. Call it after
    /// the operator's providers are added: it wraps the webhook client and notifier factories registered so far.
    /// </summary>
    /// <param name="services">The operator's services.</param>
    /// <param name="dns">The embedded cluster's DNS (<see cref="EmbeddedCluster.Dns"/>).</param>
    /// <param name="operatorNamespace">Where the operator runs: single-label names are looked up there.</param>
    /// <returns>The same services.</returns>
    public static IServiceCollection AddEmbeddedClusterDns(this IServiceCollection services, ClusterDns dns, string operatorNamespace)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(dns);
        ArgumentException.ThrowIfNullOrEmpty(operatorNamespace);
        services.ConfigureHttpClientDefaults(b => b.AddHttpMessageHandler(() => new ClusterDnsHandler(dns, operatorNamespace)));
        for (var i = 0; i < services.Count; i++)
        {
            var descriptor = services[i];
            if (descriptor.ServiceType == typeof(IWebhookClient) && !descriptor.IsKeyedService)
            {
                services[i] = ServiceDescriptor.Describe(
                    typeof(IWebhookClient),
                    sp => new ClusterWebhookClient((IWebhookClient)Create(sp, descriptor, null), dns, operatorNamespace),
                    descriptor.Lifetime);
            }
            else if (descriptor.ServiceType == typeof(INotifierFactory) && descriptor.IsKeyedService)
            {
                services[i] = ServiceDescriptor.DescribeKeyed(
                    typeof(INotifierFactory),
                    descriptor.ServiceKey,
                    (sp, key) => new ClusterNotifierFactory((INotifierFactory)Create(sp, descriptor, key), dns, operatorNamespace),
                    descriptor.Lifetime);
            }
        }

        return services;
    }

    private static object Create(IServiceProvider services, ServiceDescriptor descriptor, object? key) =>
        descriptor.IsKeyedService
            ? descriptor.KeyedImplementationInstance
              ?? descriptor.KeyedImplementationFactory?.Invoke(services, key)
              ?? ActivatorUtilities.CreateInstance(services, descriptor.KeyedImplementationType!)
            : descriptor.ImplementationInstance
              ?? descriptor.ImplementationFactory?.Invoke(services)
              ?? ActivatorUtilities.CreateInstance(services, descriptor.ImplementationType!);
}
