using CustomMetricsProvider;
using Flagger.Hosting;
using Flagger.Metrics;
using Flagger.Notifications;
using Flagger.Testing.Receivers;
using Microsoft.Extensions.DependencyInjection;

namespace Flagger.Providers;

public sealed class AddProvidersFromTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Registers_the_samples_metrics_provider_under_the_name_it_declares()
    {
        await using var backend = await RecordingReceiver.StartAsync(TestContext.Current.CancellationToken);
        backend.Answer(new ReceiverAnswer(200, """{"value": 99.5}"""));
        var services = new ServiceCollection();
        services.AddFlaggerEngine().AddProvidersFrom(typeof(JsonApiMetrics).Assembly);
        await using var provider = services.BuildServiceProvider();

        var factory = provider.GetRequiredKeyedService<IMetricsProviderFactory>(JsonApiMetrics.ProviderName);
        var result = await factory.Create(new MetricsProviderSettings { Type = "json-api", Address = backend.Address + "/" })
            .RunQueryAsync("burn_rate{workload=\"podinfo\"}", Ct);

        Assert.Equal(MetricQueryOutcome.Value, result.Outcome);
        Assert.Equal(99.5, result.Value);
        Assert.Equal("/query", Assert.Single(backend.Requests).Path);
        Assert.Contains(new ProviderRegistration(typeof(IMetricsProviderFactory), "json-api"), provider.GetServices<ProviderRegistration>());
    }

    [Fact]
    public void An_explicit_registration_wins_and_scanning_twice_adds_nothing()
    {
        var services = new ServiceCollection();
        var flagger = services.AddFlaggerEngine().AddMetricsProvider<OtherMetrics>("json-api");

        flagger.AddProvidersFrom(typeof(JsonApiMetrics).Assembly).AddProvidersFrom(typeof(JsonApiMetrics).Assembly);

        var registered = Assert.Single(services, d => d.ServiceType == typeof(IMetricsProviderFactory) && Equals(d.ServiceKey, "json-api"));
        Assert.Equal(typeof(OtherMetrics), registered.KeyedImplementationType);
        Assert.Single(services, d => d.ServiceType == typeof(ProviderRegistration) && Equals(d.ImplementationInstance, new ProviderRegistration(typeof(IMetricsProviderFactory), "json-api")));
    }

    [Fact]
    public void A_provider_class_without_a_name_is_reported_with_the_fix()
    {
        var flagger = new ServiceCollection().AddFlaggerEngine();

        var error = Assert.Throws<InvalidOperationException>(() => flagger.AddProvidersFrom(typeof(AddProvidersFromTests).Assembly));

        Assert.Contains($"{typeof(UnnamedNotifier).FullName} is a notifier (INotifierFactory) but declares no name; add public const string ProviderName", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_named_notifier_is_found_through_a_static_property_too()
    {
        var services = new ServiceCollection();
        var flagger = services.AddFlaggerEngine();

        try
        {
            flagger.AddProvidersFrom(typeof(AddProvidersFromTests).Assembly);
        }
        catch (InvalidOperationException)
        {
            // UnnamedNotifier is reported; the named ones are still registered.
        }

        Assert.Contains(services, d => d.ServiceType == typeof(INotifierFactory) && Equals(d.ServiceKey, "pager") && d.KeyedImplementationType == typeof(PagerNotifier));
    }
}

public sealed class OtherMetrics : IMetricsProviderFactory
{
    public const string ProviderName = "other";

    public IMetricsProvider Create(MetricsProviderSettings settings) => throw new NotSupportedException();
}

public sealed class PagerNotifier : INotifierFactory
{
    public static string ProviderName => "pager";

    public INotifier Create(NotifierSettings settings) => throw new NotSupportedException();
}

public sealed class UnnamedNotifier : INotifierFactory
{
    public INotifier Create(NotifierSettings settings) => throw new NotSupportedException();
}
