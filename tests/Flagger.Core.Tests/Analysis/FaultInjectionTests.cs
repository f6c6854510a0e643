using CsCheck;
using Flagger.Fakes;
using Flagger.Model;
using Flagger.Providers;
using Flagger.Routing;
using Flagger.Store;
using Flagger.Webhooks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Flagger.Analysis;

/// <summary>
/// Whole rollouts through ports that throw, time out or answer nonsense on any call, thousands of scenarios a run
/// (CsCheck prints the seed of a failing one; set it to replay). The engine's safety contract, from the README's
/// differences table: traffic reaches the primary in the tick a rollback is decided whenever the router answers,
/// whatever the notifiers, webhooks and event recorder do; no forward weight step is half-applied; a persistent
/// failure ends in rollback within the progress deadline plus one interval; the status is written at most once a tick.
/// </summary>
public sealed class FaultInjectionTests
{
    private static readonly string[] EveryCall =
    [
        "mesh.reconcile", "mesh.set", "mesh.get", "services.init", "services.reconcile", "target.init", "target.primaryReady",
        "target.canaryReady", "target.revision", "target.promote", "target.scaleToZero", "target.scaleFromZero", "store.status",
        "store.template", "store.alertProvider", "metrics.create", "metrics.query", "metrics.health", "webhook.rollout",
        "webhook.post-rollout", "webhook.event", "webhook.confirm-promotion", "notifier.create", "notifier.post", "recorder",
    ];

    // Best-effort or gate calls: the engine must roll back whatever they do.
    private static readonly string[] Hostile =
    [
        "store.alertProvider", "notifier.create", "notifier.post", "recorder", "webhook.rollout", "webhook.post-rollout", "webhook.event",
    ];

    // Calls whose persistent failure stops a Progressing canary from advancing; each must end in rollback.
    private static readonly string[] Persistent =
    [
        "mesh.get", "mesh.reconcile", "services.init", "services.reconcile", "target.init", "target.primaryReady", "target.canaryReady", "target.revision",
    ];

    private static readonly Gen<Scenario> Scenarios = Gen.Select(
        Gen.Int[0, 2],
        Gen.Int[1, 5],
        Gen.OneOf(Gen.Const(60), Gen.Const(120), Gen.Const(600)),
        Gen.Bool,
        Gen.Double[0.02, 0.6],
        Gen.Int[0, Persistent.Length - 1],
        Gen.Int[0, 4],
        Gen.Int,
        (kind, threshold, deadline, blueGreen, rate, persistent, after, seed) =>
            new Scenario((ScenarioKind)kind, threshold, deadline, blueGreen, rate, Persistent[persistent], after, seed));

    [Fact]
    public void Rollouts_keep_the_safety_contract_whatever_the_ports_do() =>
        Scenarios.Sample(Run, iter: 1_000, threads: 1);

    private static void Run(Scenario scenario)
    {
        using var rig = new Rig(scenario);
        var ct = TestContext.Current.CancellationToken;
        rig.TickAsync(ct).GetAwaiter().GetResult();
        for (var i = 0; i < 4 && rig.Status.Phase != CanaryPhase.Initialized; i++)
        {
            rig.TickAsync(ct).GetAwaiter().GetResult();
        }

        rig.Plan.Flaky.UnionWith(scenario.Kind == ScenarioKind.Flaky ? EveryCall : Hostile);
        rig.Workload.SetImage("v2");
        if (scenario.Kind == ScenarioKind.BadRevision)
        {
            rig.Metrics.SuccessRate = 0;
        }

        int? progressingAt = null;
        for (var tick = 1; tick <= 40; tick++)
        {
            if (progressingAt is null && rig.Status.Phase == CanaryPhase.Progressing)
            {
                progressingAt = tick;
            }

            if (scenario.Kind == ScenarioKind.Persistent && progressingAt is { } started && tick == started + scenario.PersistentAfter && rig.Status.Phase == CanaryPhase.Progressing)
            {
                rig.Plan.Persistent = scenario.PersistentCall;
                rig.Plan.PersistentOn = true;
            }

            var before = rig.Mesh.Routes;
            rig.Plan.StatusWrites = 0;
            var report = rig.TickAsync(ct).GetAwaiter().GetResult();
            var after = rig.Mesh.Routes;

            // (d) at most one status write per tick.
            Assert.True(rig.Plan.StatusWrites <= 1, $"{rig.Plan.StatusWrites} status writes in tick {tick}: {scenario}");

            // (a) a rollback the router answered leaves all traffic on the primary in the same tick.
            if (report.Outcome == RunOutcome.RolledBack)
            {
                Assert.True(after == TrafficRoutes.AllToPrimary, $"rolled back with routes {after} in tick {tick}: {scenario}");
            }

            // (b) a forward step is whole: routes moved toward the canary only with the status recording it, or with the
            // status write reported as the failure (the next tick records the step the router serves).
            if (after.CanaryWeight > before.CanaryWeight && report.Outcome != RunOutcome.PromotionFailed)
            {
                var recorded = report.StatusWritten && (rig.Status.CanaryWeight == after.CanaryWeight || rig.Status.Iterations > 0);
                var statusLost = report.Failure?.Contains("status", StringComparison.Ordinal) == true || report.Failure is not null && !report.StatusWritten;
                Assert.True(recorded || statusLost, $"half-applied step {before} -> {after} in tick {tick} (status weight {rig.Status.CanaryWeight}, failure {report.Failure}): {scenario}");
            }

            if (scenario.Kind == ScenarioKind.Persistent && rig.Plan.PersistentSince is { } since)
            {
                // (c) a persistent failure ends in rollback within the progress deadline plus one interval.
                var limit = since + TimeSpan.FromSeconds(scenario.DeadlineSeconds) + rig.Interval;
                if (rig.Clock.GetUtcNow() >= limit)
                {
                    Assert.True(rig.Status.Phase == CanaryPhase.Failed && rig.Mesh.Routes == TrafficRoutes.AllToPrimary, $"{scenario.PersistentCall} failing since {since:T}, at {rig.Clock.GetUtcNow():T}: phase {rig.Status.Phase}, routes {rig.Mesh.Routes}: {scenario}");
                    return;
                }
            }

            if (scenario.Kind == ScenarioKind.BadRevision && progressingAt is { } began && tick - began >= scenario.Threshold + 3)
            {
                // A bad revision is rolled back after its failed checks however hostile the notifiers and hooks are.
                Assert.True(rig.Status.Phase == CanaryPhase.Failed && rig.Mesh.Routes == TrafficRoutes.AllToPrimary, $"phase {rig.Status.Phase}, routes {rig.Mesh.Routes}, {tick - began} ticks after Progressing: {scenario}");
                return;
            }
        }

        Assert.True(scenario.Kind == ScenarioKind.Flaky || rig.Status.Phase == CanaryPhase.Failed, $"no rollback after 40 ticks: phase {rig.Status.Phase}: {scenario}");
    }

    /// <summary>The kind of trouble a scenario brings.</summary>
    public enum ScenarioKind
    {
        /// <summary>Every port call may throw, time out or answer garbage.</summary>
        Flaky,

        /// <summary>One call fails for good once the canary progresses; notifiers, hooks and events are hostile.</summary>
        Persistent,

        /// <summary>The revision fails its metrics; notifiers, hooks and events are hostile.</summary>
        BadRevision,
    }

    public sealed record Scenario(ScenarioKind Kind, int Threshold, int DeadlineSeconds, bool BlueGreen, double Rate, string PersistentCall, int PersistentAfter, int Seed);

    /// <summary>The engine wired to the faulty ports over the in-memory fakes.</summary>
    private sealed class Rig : IDisposable
    {
        private readonly ServiceProvider services;
        private readonly CanaryEngine engine;

        public Rig(Scenario scenario)
        {
            Plan = new FaultPlan(scenario.Seed) { Rate = scenario.Rate, Clock = Clock };
            var canary = Walkthrough.Canary(
                a => a with
                {
                    Threshold = scenario.Threshold,
                    StepWeight = scenario.BlueGreen ? 0 : 10,
                    Iterations = scenario.BlueGreen ? 3 : 0,
                    Alerts = [new CanaryAlert { Name = "on-call", ProviderRef = new ObjectReference { Name = "chat" } }],
                    Webhooks =
                    [
                        .. a.Webhooks!,
                        new CanaryWebhook { Name = "notify", Type = WebhookTypes.PostRollout, Url = "http://hooks.test/" },
                        new CanaryWebhook { Name = "audit", Type = WebhookTypes.Event, Url = "http://audit.test/" },
                    ],
                },
                s => s with { ProgressDeadlineSeconds = scenario.DeadlineSeconds });
            Store.Apply(new AlertProvider { Metadata = new ObjectMetadata { Name = "chat", Namespace = "test" }, Spec = new AlertProviderSpec { Type = "slack", Address = "http://chat.test/hook" } });
            Store.Apply(canary);

            var collection = new ServiceCollection();
            collection.AddSingleton<TimeProvider>(Clock);
            var store = new FaultyStore(Store, Plan);
            collection.AddSingleton<ICanaryStore>(store);
            collection.AddSingleton<ISecretReader>(store);
            collection.AddSingleton<Events.IEventRecorder>(new FaultyRecorder(new RecordingEventRecorder(), Plan));
            collection.AddSingleton<IWebhookClient>(new FaultyWebhooks(new ScriptedWebhooks(), Plan));
            collection.AddFlaggerEngine(o => o.MetricsServer = "http://prometheus.istio-system:9090")
                .AddIstioDefaults()
                .AddProvider<IMeshRouter>("istio", new FaultyMesh(Mesh, Plan))
                .AddProvider<Targets.ITargetController>("Deployment", new FaultyWorkload(Workload, Plan))
                .AddProvider<IServiceRouter>(FlaggerEngineBuilder.ServiceRouterName, new FaultyServices(new SimulatedServices(), Plan))
                .AddProvider<Metrics.IMetricsProviderFactory>("prometheus", new FaultyMetrics(Metrics, Plan))
                .AddProvider<Notifications.INotifierFactory>("slack", new FaultyNotifier(new RecordingNotifier(), Plan));
            services = collection.BuildServiceProvider();
            engine = services.GetRequiredService<CanaryEngine>();
            Interval = engine.GetInterval(canary);
        }

        public FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 12, 4, 12, 0, 0, TimeSpan.Zero));

        public FaultPlan Plan { get; }

        public InMemoryCanaryStore Store { get; } = new();

        public SimulatedMesh Mesh { get; } = new();

        public SimulatedWorkload Workload { get; } = new();

        public ScriptedMetrics Metrics { get; } = new();

        public TimeSpan Interval { get; }

        public CanaryStatus Status => Store.Get("test", "podinfo").Status ?? new CanaryStatus();

        public Task<TickReport> TickAsync(CancellationToken ct)
        {
            Clock.Advance(Interval);
            return engine.TickAsync("test", "podinfo", ct);
        }

        public void Dispose() => services.Dispose();
    }
}
