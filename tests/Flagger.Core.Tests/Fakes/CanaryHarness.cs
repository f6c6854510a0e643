using Flagger.Analysis;
using Flagger.Model;
using Flagger.Notifications;
using Flagger.Providers;
using Flagger.Store;
using Flagger.Webhooks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Flagger.Fakes;

/// <summary>
/// The engine wired to in-memory ports and a fake clock: apply a Canary, tick it, and look at what it did.
/// </summary>
public sealed class CanaryHarness : IDisposable
{
    private readonly ServiceProvider services;

    public CanaryHarness(Canary canary, Action<EngineOptions>? configure = null, Action<FlaggerEngineBuilder>? providers = null, bool globalNotifier = false, bool defaults = true)
    {
        var collection = new ServiceCollection();
        collection.AddSingleton<TimeProvider>(Clock);
        collection.AddSingleton<ICanaryStore>(Store);
        collection.AddSingleton<ISecretReader>(Store);
        collection.AddSingleton<Events.IEventRecorder>(Recorder);
        collection.AddSingleton<IWebhookClient>(Webhooks);
        if (globalNotifier)
        {
            collection.AddSingleton<INotifier>(Notifier);
        }

        var builder = collection.AddFlaggerEngine(o =>
        {
            o.MetricsServer = "http://prometheus.istio-system:9090";
            configure?.Invoke(o);
        });
        builder.AddIstioDefaults(defaults)
            .AddProvider<Routing.IMeshRouter>("istio", Mesh)
            .AddProvider<Targets.ITargetController>("Deployment", Workload)
            .AddProvider<Routing.IServiceRouter>(FlaggerEngineBuilder.ServiceRouterName, Services)
            .AddProvider<Metrics.IMetricsProviderFactory>("prometheus", Metrics)
            .AddProvider<INotifierFactory>("slack", Notifier);
        providers?.Invoke(builder);
        services = collection.BuildServiceProvider();
        Engine = services.GetRequiredService<CanaryEngine>();
        Store.Apply(canary);
        Canary = canary;
    }

    public Canary Canary { get; }

    /// <summary>The engine's container, for the services a test drives directly (the finalizer).</summary>
    public IServiceProvider Provider => services;

    public FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 11, 28, 12, 0, 0, TimeSpan.Zero));

    public InMemoryCanaryStore Store { get; } = new();

    public RecordingEventRecorder Recorder { get; } = new();

    public ScriptedWebhooks Webhooks { get; } = new();

    public RecordingNotifier Notifier { get; } = new();

    public SimulatedMesh Mesh { get; } = new();

    public SimulatedServices Services { get; } = new();

    public SimulatedWorkload Workload { get; } = new();

    public ScriptedMetrics Metrics { get; } = new();

    public CanaryEngine Engine { get; }

    public CanaryStatus Status => Store.Get(Canary.Namespace, Canary.Name).Status ?? new CanaryStatus();

    public List<TickReport> Reports { get; } = [];

    /// <summary>Waits one analysis interval on the fake clock, then ticks.</summary>
    public async Task<TickReport> TickAsync()
    {
        Clock.Advance(Engine.GetInterval(Store.Get(Canary.Namespace, Canary.Name)));
        var report = await Engine.TickAsync(Canary.Namespace, Canary.Name, TestContext.Current.CancellationToken);
        Reports.Add(report);
        return report;
    }

    /// <summary>Ticks until the canary reaches <paramref name="phase"/>, failing after <paramref name="maxTicks"/>.</summary>
    public async Task<int> TickUntilAsync(CanaryPhase phase, int maxTicks = 40)
    {
        for (var ticks = 1; ticks <= maxTicks; ticks++)
        {
            await TickAsync();
            if (Status.Phase == phase)
            {
                return ticks;
            }
        }

        throw new InvalidOperationException($"not {phase} after {maxTicks} ticks; phase {Status.Phase}; events:\n{string.Join("\n", Recorder.Lines)}");
    }

    /// <summary>Ticks <paramref name="count"/> times.</summary>
    public async Task TicksAsync(int count)
    {
        for (var i = 0; i < count; i++)
        {
            await TickAsync();
        }
    }

    public void Dispose() => services.Dispose();
}
