using System.Text.RegularExpressions;
using Flagger.Analysis;
using Flagger.Events;
using Flagger.Fakes;
using Flagger.Metrics;
using Flagger.Model;
using Flagger.Prometheus;
using Flagger.Providers;
using Flagger.Routing;
using Flagger.Store;
using Flagger.Targets;
using Flagger.Webhooks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Flagger.Accuracy;

/// <summary>How a rollout ended.</summary>
internal enum Ending
{
    Promoted,
    RolledBack,
    Held,
}

/// <summary>One rollout's result: how it ended, when (minutes), and the bad requests the canary answered.</summary>
internal readonly record struct RolloutResult(Ending Ending, int Minutes, long BadRequests);

/// <summary>
/// One seeded rollout through the real <see cref="CanaryEngine"/> (observe, decide, apply) with in-memory ports and a
/// fake clock: the walkthrough's canary (interval 1m, stepWeight 10, maxWeight 50) with the judge's metrics, ticked
/// once a simulated minute while <see cref="SimulatedTraffic"/> serves both sides' requests at the weight the mesh
/// applies. The engine decides every step, hold, rollback and promotion; nothing of its policy is copied here.
/// </summary>
internal static partial class EngineRollout
{
    private const int MaxMinutes = 60;

    public static RolloutResult Run(Scenario scenario, double requestsPerSecond, Func<CanaryAnalysis, CanaryAnalysis> judge, int seed)
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero));
        var store = new InMemoryCanaryStore();
        var mesh = new SimulatedMesh();
        var workload = new SimulatedWorkload();
        var traffic = new SimulatedTraffic(scenario, requestsPerSecond, mesh, clock, seed);
        var collection = new ServiceCollection()
            .AddSingleton<TimeProvider>(clock)
            .AddSingleton<ICanaryStore>(store)
            .AddSingleton<IWebhookClient>(new ScriptedWebhooks())
            .AddSingleton<IEventRecorder>(new RecordingEventRecorder());
        collection.AddFlaggerEngine(o => (o.MeshProvider, o.MetricsProviderType, o.MetricsServer) = ("istio", "simulated", "http://simulated"))
            .AddProvider<IMetricObserver>("istio", new IstioMetricObserver())
            .AddProvider<IMeshRouter>("istio", mesh)
            .AddProvider<IServiceRouter>(FlaggerEngineBuilder.ServiceRouterName, new SimulatedServices())
            .AddProvider<ITargetController>("Deployment", workload)
            .AddProvider<IMetricsProviderFactory>("simulated", traffic);
        using var services = collection.BuildServiceProvider();
        var engine = services.GetRequiredService<CanaryEngine>();
        var canary = Walkthrough.Canary(a => judge(a with { Webhooks = [] }));
        store.Apply(canary);

        CanaryPhase? Tick()
        {
            clock.Advance(TimeSpan.FromMinutes(1));
            traffic.Serve();
            engine.TickAsync("test", "podinfo", CancellationToken.None).GetAwaiter().GetResult();
            return store.Get("test", "podinfo").Status?.Phase;
        }

        for (var i = 0; i < 5 && Tick() != CanaryPhase.Initialized; i++)
        {
        }

        workload.SetImage("v2");
        for (var i = 0; i < 5 && mesh.Routes.CanaryWeight == 0; i++)
        {
            Tick();
        }

        // Traffic reaches the canary from here: minute 0 of the rollout.
        traffic.Start();
        for (var minute = 1; minute <= MaxMinutes; minute++)
        {
            var phase = Tick();
            if (phase is CanaryPhase.Promoting or CanaryPhase.Finalising or CanaryPhase.Succeeded)
            {
                return new RolloutResult(Ending.Promoted, minute, traffic.BadRequests);
            }

            if (phase == CanaryPhase.Failed)
            {
                return new RolloutResult(Ending.RolledBack, minute, traffic.BadRequests);
            }
        }

        return new RolloutResult(Ending.Held, MaxMinutes, traffic.BadRequests);
    }

    /// <summary>
    /// The metrics backend: each side's requests per 10-second slot, drawn as the scenario says at the canary weight
    /// the mesh applies, answered as Prometheus would from the scrapes (threshold queries over the last minute, both
    /// sides' counts and histograms over a window, per-slot samples for Mann-Whitney).
    /// </summary>
    private sealed partial class SimulatedTraffic(Scenario scenario, double requestsPerSecond, SimulatedMesh mesh, TimeProvider clock, int seed)
        : IMetricsProviderFactory, IMetricsProvider, IComparisonDataProvider
    {
        private readonly Sampling random = new(seed);
        private readonly List<(DateTimeOffset End, SlotCounts Canary, SlotCounts Primary)> slots = [];
        private DateTimeOffset? started;
        private DateTimeOffset served;

        public long BadRequests { get; private set; }

        public void Start() => served = (started = clock.GetUtcNow()).Value;

        // Draws the slots from the last one served up to now, at the weight the mesh applied meanwhile.
        public void Serve()
        {
            if (started is not { } start)
            {
                return;
            }

            var weight = mesh.Routes.CanaryWeight / 100.0;
            var slot = TimeSpan.FromSeconds(Traffic.SlotSeconds);
            while (served + slot <= clock.GetUtcNow())
            {
                served += slot;
                var at = (served - slot - start).TotalMinutes;
                var perSlot = requestsPerSecond * scenario.Load(at) * Traffic.SlotSeconds;
                var (canary, primary) = (new SlotCounts(Traffic.Edges.Length), new SlotCounts(Traffic.Edges.Length));
                Traffic.Draw(canary, scenario.Canary(at), perSlot * weight, random);
                Traffic.Draw(primary, scenario.Primary(at), perSlot * (1 - weight), random);
                BadRequests += canary.Failures + canary.Slow;
                slots.Add((served, canary, primary));
            }
        }

        public IMetricsProvider Create(MetricsProviderSettings settings) => this;

        public Task<ProviderHealth> CheckHealthAsync(CancellationToken cancellationToken) => Task.FromResult(ProviderHealth.Online);

        // Flagger's builtin queries on the canary alone over the metric's window (the walkthrough's 1m).
        public Task<MetricQueryResult> RunQueryAsync(string query, CancellationToken cancellationToken)
        {
            var end = clock.GetUtcNow();
            var window = GoDuration.TryParse(RangeMatcher().Match(query).Groups[1].Value, out var w) ? w : TimeSpan.FromMinutes(1);
            var (requests, failures, buckets) = Sum(end - window, end, canary: true);
            if (requests == 0)
            {
                return Task.FromResult(MetricQueryResult.NoValues());
            }

            return Task.FromResult(query.Contains("histogram_quantile", StringComparison.Ordinal)
                ? MetricQueryResult.Of(HistogramQuantile(0.99, buckets, requests))
                : MetricQueryResult.Of(100.0 * (requests - failures) / requests));
        }

        public Task<ComparisonReading<RequestCounts>> ReadRequestCountsAsync(WorkloadPair workloads, ComparisonWindow window, CancellationToken cancellationToken)
        {
            var canary = Sum(window.Start, window.End, canary: true);
            var primary = Sum(window.Start, window.End, canary: false);
            return Task.FromResult(canary.Requests == 0 || primary.Requests == 0
                ? ComparisonReading.NoValues<RequestCounts>("no requests on one side")
                : ComparisonReading.Of(new RequestCounts(canary.Requests, canary.Failures), new RequestCounts(primary.Requests, primary.Failures)));
        }

        public Task<ComparisonReading<LatencyHistogram>> ReadLatencyHistogramsAsync(WorkloadPair workloads, ComparisonWindow window, CancellationToken cancellationToken)
        {
            var canary = Sum(window.Start, window.End, canary: true);
            var primary = Sum(window.Start, window.End, canary: false);
            return Task.FromResult(canary.Requests == 0 || primary.Requests == 0
                ? ComparisonReading.NoValues<LatencyHistogram>("no requests on one side")
                : ComparisonReading.Of(Histogram(canary.Buckets), Histogram(primary.Buckets)));
        }

        // One value per 10-second slot of each side: the success rate, or the mean latency; a slot without requests gives none.
        public Task<ComparisonReading<IReadOnlyList<double>>> ReadSamplesAsync(string canaryQuery, string primaryQuery, ComparisonWindow window, CancellationToken cancellationToken)
        {
            var latency = canaryQuery.Contains("histogram_quantile", StringComparison.Ordinal);
            var (canary, primary) = (new List<double>(), new List<double>());
            foreach (var (end, c, p) in slots)
            {
                if (end > window.Start && end <= window.End)
                {
                    Add(canary, c, latency);
                    Add(primary, p, latency);
                }
            }

            return Task.FromResult(canary.Count == 0 || primary.Count == 0
                ? ComparisonReading.NoValues<IReadOnlyList<double>>("no requests on one side")
                : ComparisonReading.Of<IReadOnlyList<double>>(canary, primary));
        }

        private static void Add(List<double> values, SlotCounts slot, bool latency)
        {
            if (slot.Requests > 0)
            {
                values.Add(latency ? slot.LatencySum / slot.Requests : 100.0 * (slot.Requests - slot.Failures) / slot.Requests);
            }
        }

        private (long Requests, long Failures, long[] Buckets) Sum(DateTimeOffset start, DateTimeOffset end, bool canary)
        {
            long requests = 0, failures = 0;
            var buckets = new long[Traffic.Edges.Length];
            foreach (var (at, c, p) in slots)
            {
                if (at > start && at <= end)
                {
                    var side = canary ? c : p;
                    requests += side.Requests;
                    failures += side.Failures;
                    for (var i = 0; i < buckets.Length; i++)
                    {
                        buckets[i] += side.Buckets[i];
                    }
                }
            }

            return (requests, failures, buckets);
        }

        private static LatencyHistogram Histogram(long[] buckets)
        {
            var cumulative = new long[buckets.Length];
            long total = 0;
            for (var i = 0; i < buckets.Length; i++)
            {
                total += buckets[i];
                cumulative[i] = total;
            }

            return new LatencyHistogram(Traffic.Edges, cumulative);
        }

        // Prometheus' histogram_quantile: linear interpolation inside the bucket holding the rank; the +Inf bucket
        // answers with the highest finite bound.
        private static double HistogramQuantile(double q, long[] buckets, long total)
        {
            var rank = q * total;
            long cumulative = 0;
            for (var i = 0; i < buckets.Length; i++)
            {
                var before = cumulative;
                cumulative += buckets[i];
                if (cumulative >= rank)
                {
                    if (double.IsPositiveInfinity(Traffic.Edges[i]))
                    {
                        return Traffic.Edges[i - 1];
                    }

                    var lower = i == 0 ? 0 : Traffic.Edges[i - 1];
                    return lower + ((Traffic.Edges[i] - lower) * (rank - before) / Math.Max(1, buckets[i]));
                }
            }

            return Traffic.Edges[^2];
        }

        [GeneratedRegex(@"\}\[([0-9a-z.]+)\]")]
        private static partial Regex RangeMatcher();
    }
}
