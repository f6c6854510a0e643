using BenchmarkDotNet.Attributes;
using Flagger.Analysis;
using Flagger.Events;
using Flagger.Fakes;
using Flagger.Metrics;
using Flagger.Prometheus;
using Flagger.Model;
using Flagger.Providers;
using Flagger.Routing;
using Flagger.Store;
using Flagger.Targets;
using Flagger.Webhooks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Flagger.Benchmarks;

/// <summary>
/// A whole tick of one canary through in-memory ports: idle (Succeeded, nothing changed) and mid-analysis. The
/// store, target and mesh are <see cref="SteadyStore"/>, <see cref="SteadyWorkload"/> and <see cref="SteadyMesh"/>,
/// which allocate nothing per call, so the allocation column is the engine's (plus the metrics and webhook fakes').
/// </summary>
[MemoryDiagnoser]
public class EngineBenchmarks
{
    private ServiceProvider services = null!;
    private CanaryEngine engine = null!;
    private SteadyStore store = null!;
    private Canary progressing = null!;
    private Canary checking = null!;
    private SteadyMesh mesh = null!;

    [GlobalSetup]
    public void Setup()
    {
        store = new SteadyStore();
        var clock = new FakeTimeProvider();
        var collection = new ServiceCollection()
            .AddSingleton<TimeProvider>(clock)
            .AddSingleton<ICanaryStore>(store)
            .AddSingleton<IWebhookClient>(new ScriptedWebhooks())
            .AddSingleton<IEventRecorder>(new NullRecorder());
        collection.AddFlaggerEngine(o => (o.MeshProvider, o.MetricsProviderType, o.MetricsServer) = ("istio", "prometheus", "http://prometheus:9090"))
            .AddProvider<IMetricObserver>("istio", new IstioMetricObserver())
            .AddProvider<IMeshRouter>("istio", mesh = new SteadyMesh())
            .AddProvider<IServiceRouter>(FlaggerEngineBuilder.ServiceRouterName, new SimulatedServices())
            .AddProvider<ITargetController>("Deployment", new SteadyWorkload())
            .AddProvider<IMetricsProviderFactory>("prometheus", new ScriptedMetrics());
        services = collection.BuildServiceProvider();
        engine = services.GetRequiredService<CanaryEngine>();
        store.Apply(Walkthrough.Canary());
        engine.TickAsync("test", "podinfo", CancellationToken.None).GetAwaiter().GetResult();
        progressing = Walkthrough.Canary() with
        {
            Metadata = new ObjectMetadata { Name = "busy", Namespace = "test" },
            Status = store.Get("test", "podinfo").Status! with { Phase = CanaryPhase.WaitingPromotion, CanaryWeight = 50 },
        };
        checking = Walkthrough.Canary() with
        {
            Metadata = new ObjectMetadata { Name = "checking", Namespace = "test" },
            // A step is due an interval after the last one.
            Status = store.Get("test", "podinfo").Status! with { Phase = CanaryPhase.Progressing, CanaryWeight = 10, LastTransitionTime = clock.GetUtcNow() - TimeSpan.FromMinutes(2) },
        };

        // The figure means something only if the tick really queries and judges both metrics.
        var check = MetricCheckTick().GetAwaiter().GetResult();
        if (check.Metrics.Count != 2 || check.Canary?.Status?.Metrics?.Count != 2)
        {
            throw new InvalidOperationException($"MetricCheckTick did not reach the metric check: {check.Metrics.Count} metrics observed, phase {check.Phase}, events: {string.Join("; ", check.Events.Select(e => e.Message))}");
        }
    }

    [GlobalCleanup]
    public void Cleanup() => services.Dispose();

    /// <summary>The steady state of most canaries: initialized, target unchanged.</summary>
    [Benchmark]
    public Task<TickReport> IdleTick() => engine.TickAsync("test", "podinfo", CancellationToken.None);

    /// <summary>An analysis tick with both builtin metrics and a rollout hook.</summary>
    [Benchmark]
    public Task<TickReport> AnalysisTick()
    {
        store.Apply(progressing);
        return engine.TickAsync("test", "busy", CancellationToken.None);
    }

    /// <summary>
    /// A step of the analysis: both builtin metrics queried and judged, their <c>status.metrics</c> entries (value,
    /// verdict, history) written with the next weight.
    /// </summary>
    [Benchmark]
    public Task<TickReport> MetricCheckTick()
    {
        // Back to the step the status records: the previous iteration advanced the (shared) mesh to 20%.
        mesh.SetRoutesAsync(checking, new TrafficRoutes(90, 10), CancellationToken.None);
        store.Apply(checking);
        return engine.TickAsync("test", "checking", CancellationToken.None);
    }

    private sealed class NullRecorder : IEventRecorder
    {
        public Task RecordAsync(Canary canary, CanaryEvent canaryEvent, CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
