using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using Flagger.Events;
using Flagger.Hosting;
using Flagger.Hosting.Events;
using Flagger.Metrics;
using Flagger.Notifications;
using Flagger.Routing;
using Flagger.Webhooks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Flagger.Providers;

/// <summary>Hosting additions to the engine builder: assembly scanning for providers and event forwarding.</summary>
public static class FlaggerBuilderHostingExtensions
{
    /// <summary>The member a provider class declares its name with: <c>public const string ProviderName = "error-budget";</c>.</summary>
    public const string ProviderNameMember = "ProviderName";

    private static readonly (Type Port, string Role)[] Ports =
    [
        (typeof(IMeshRouter), "mesh router"),
        (typeof(IMetricsProviderFactory), "metrics provider"),
        (typeof(INotifierFactory), "notifier"),
    ];

    /// <summary>
    /// Registers every public, non-abstract class of <paramref name="assembly"/> that implements
    /// <see cref="IMeshRouter"/>, <see cref="IMetricsProviderFactory"/> or <see cref="INotifierFactory"/>, under the
    /// name it declares in a <c>public const string ProviderName</c> (or static property of that name) — the name
    /// users write in <c>spec.provider</c>, a MetricTemplate's <c>provider.type</c> or an AlertProvider's
    /// <c>type</c>. A name already registered (by an explicit <c>AddXxx</c> call, or an earlier scan) is kept.
    /// </summary>
    /// <param name="builder">The engine builder.</param>
    /// <param name="assembly">The assembly holding the providers.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="InvalidOperationException">A provider class declares no name; the message names the class and the fix.</exception>
    [RequiresUnreferencedCode("Finds provider classes by scanning the assembly; a trimmed or Native AOT host registers each provider with its AddXxx call instead.")]
    public static FlaggerEngineBuilder AddProvidersFrom(this FlaggerEngineBuilder builder, Assembly assembly)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(assembly);
        var services = builder.Services;
        var unnamed = new List<string>();
        foreach (var (port, role) in Ports)
        {
            var before = services.Count;
            services.Scan(scan => scan
                .FromAssemblies(assembly)
                .AddClasses(classes => classes.AssignableTo(port).Where(type => Keep(services, port, role, type, unnamed)))
                .As(port)
                .WithServiceKey(type => NameOf(type)!)
                .WithSingletonLifetime());

            // Scrutor registered the keyed services; record their names so an unknown name lists them.
            foreach (var added in services.Skip(before).Where(d => d.IsKeyedService && d.ServiceType == port).ToList())
            {
                var registration = new ProviderRegistration(port, (string)added.ServiceKey!);
                if (!services.Any(d => d.ServiceType == typeof(ProviderRegistration) && Equals(d.ImplementationInstance, registration)))
                {
                    services.AddSingleton(registration);
                }
            }
        }

        return unnamed.Count == 0
            ? builder
            : throw new InvalidOperationException($"AddProvidersFrom({assembly.GetName().Name}): {string.Join("; ", unnamed)}");
    }

    /// <summary>
    /// Logs every canary event as a JSON line with the <c>canary</c> field and posts it to
    /// <see cref="Hosting.FlaggerHostOptions.EventWebhook"/> (<c>--event-webhook</c>) when set. Call it after the
    /// package that records events (<c>AddKubernetes()</c>): it wraps the event recorder registered so far.
    /// </summary>
    /// <param name="builder">The engine builder.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="InvalidOperationException">No event recorder is registered yet.</exception>
    public static FlaggerEngineBuilder AddEventForwarding(this FlaggerEngineBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        if (services.Any(d => d.ServiceType == typeof(EventForwardingMarker)))
        {
            return builder;
        }

        // Decorated here rather than with Scrutor's TryDecorate: its activator looks the decorator's constructor up by
        // reflection, and a trimmed or Native AOT operator has not kept it.
        var recorder = services.LastOrDefault(d => d.ServiceType == typeof(IEventRecorder) && !d.IsKeyedService)
            ?? throw new InvalidOperationException("AddEventForwarding: no IEventRecorder is registered yet; call it after AddKubernetes() (or after registering your own recorder)");
        var inner = InstanceOf(recorder);
        services[services.IndexOf(recorder)] = ServiceDescriptor.Describe(
            typeof(IEventRecorder),
            sp => new EventForwardingRecorder(
                (IEventRecorder)inner(sp),
                sp.GetRequiredService<IWebhookClient>(),
                sp.GetRequiredService<IOptions<FlaggerHostOptions>>(),
                sp.GetRequiredService<TimeProvider>(),
                sp.GetRequiredService<ILogger<EventForwardingRecorder>>()),
            recorder.Lifetime);

        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<EventForwardingMarker>();
        return builder;
    }

    // How the registration being decorated makes its instance.
    private static Func<IServiceProvider, object> InstanceOf(ServiceDescriptor descriptor) =>
        descriptor.ImplementationInstance is { } instance ? _ => instance
        : descriptor.ImplementationFactory is { } factory ? factory
        : sp => ActivatorUtilities.CreateInstance(sp, descriptor.ImplementationType!);

    [RequiresUnreferencedCode("Reads the provider's name by reflection; see AddProvidersFrom.")]
    private static bool Keep(IServiceCollection services, Type port, string role, Type type, List<string> unnamed)
    {
        if (NameOf(type) is not { } name)
        {
            unnamed.Add($"{type.FullName} is a {role} ({port.Name}) but declares no name; add public const string {ProviderNameMember} = \"<name users write in YAML>\";");
            return false;
        }

        return !services.Any(d => d.IsKeyedService && d.ServiceType == port && Equals(d.ServiceKey, name));
    }

    [RequiresUnreferencedCode("Reads the provider's name by reflection; see AddProvidersFrom.")]
    private static string? NameOf(Type type)
    {
        const BindingFlags flags = BindingFlags.Public | BindingFlags.Static | BindingFlags.DeclaredOnly;
        var value = type.GetField(ProviderNameMember, flags)?.GetValue(null) ?? type.GetProperty(ProviderNameMember, flags)?.GetValue(null);
        return value is string { Length: > 0 } name && !string.IsNullOrWhiteSpace(name) ? name : null;
    }
}

/// <summary>Marks that events are forwarded, so the host can tell a configured <c>--event-webhook</c> would be ignored.</summary>
internal sealed class EventForwardingMarker;
