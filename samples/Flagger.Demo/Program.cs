using Flagger.Analysis;
using Flagger.Demo;
using Flagger.Fakes;
using Flagger.Model;
using Flagger.Providers;
using Flagger.Routing;
using Flagger.Store;
using Flagger.Targets;
using Flagger.Webhooks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

if (args.FirstOrDefault() == "serve")
{
    return await ServeCommand.RunAsync(args);
}

// The walkthrough on in-memory ports and virtual time: a healthy revision promoted, a faulty one rolled back.
var start = new DateTimeOffset(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);
var clock = new FakeTimeProvider(start);
var store = new InMemoryCanaryStore();
var workload = new SimulatedWorkload { CanaryRolloutChecks = 1, PrimaryRolloutChecks = 1 };
var mesh = new SimulatedMesh();
var metrics = new ScriptedMetrics();
var recorder = new ConsoleEventRecorder(clock, start);

var services = new ServiceCollection()
    .AddSingleton<TimeProvider>(clock)
    .AddSingleton<ICanaryStore>(store)
    .AddSingleton<IWebhookClient>(new ScriptedWebhooks())
    .AddSingleton<Flagger.Events.IEventRecorder>(recorder);
services.AddFlaggerEngine(o => o.MetricsServer = "http://prometheus.istio-system:9090")
    .AddProvider<IMeshRouter>("istio", mesh)
    .AddProvider<IServiceRouter>(FlaggerEngineBuilder.ServiceRouterName, new SimulatedServices())
    .AddProvider<ITargetController>("Deployment", workload)
    .AddProvider<Flagger.Metrics.IMetricsProviderFactory>("prometheus", metrics);
using var provider = services.BuildServiceProvider();
var engine = provider.GetRequiredService<CanaryEngine>();

var canary = Walkthrough.Canary();

async Task<CanaryPhase?> RunUntilSettledAsync()
{
    for (var tick = 0; tick < 30; tick++)
    {
        var report = await engine.TickAsync("test", "podinfo", CancellationToken.None);
        clock.Advance(engine.GetInterval(canary));
        if (report.Phase is CanaryPhase.Initialized or CanaryPhase.Succeeded or CanaryPhase.Failed)
        {
            return report.Phase;
        }
    }

    return store.Get("test", "podinfo").Status?.Phase;
}

void PrintCanaries()
{
    var status = store.Get("test", "podinfo").Status!;
    Console.WriteLine();
    Console.WriteLine("$ kubectl get canaries --all-namespaces");
    Console.WriteLine($"{"NAMESPACE",-11} {"NAME",-9} {"STATUS",-12} {"WEIGHT",-7} LASTTRANSITIONTIME");
    Console.WriteLine($"{"test",-11} {"podinfo",-9} {status.Phase,-12} {status.CanaryWeight,-7} {status.LastTransitionTime:yyyy-MM-ddTHH:mm:ssZ}");
    Console.WriteLine();
}

Console.WriteLine("Flagger for .NET: the Istio canary walkthrough on in-memory ports (virtual time, interval 1m)");
Console.WriteLine();
Console.WriteLine("$ kubectl apply -f ./podinfo-canary.yaml");
store.Apply(canary);
var initialized = await RunUntilSettledAsync();

Console.WriteLine();
Console.WriteLine("$ kubectl -n test set image deployment/podinfo podinfod=quay.io/stefanprodan/podinfo:1.4.1");
workload.SetImage("quay.io/stefanprodan/podinfo:1.4.1");
var promoted = await RunUntilSettledAsync();
PrintCanaries();

Console.WriteLine("$ kubectl -n test set image deployment/podinfo podinfod=quay.io/stefanprodan/podinfo:1.4.2");
Console.WriteLine("$ watch curl http://podinfo-canary:9898/status/500   # the new revision starts failing");
workload.SetImage("quay.io/stefanprodan/podinfo:1.4.2");
metrics.ScriptSuccessRates(100, 100, 100, 69.17, 61.39, 55.06, 47.00, 38.08);
var rolledBack = await RunUntilSettledAsync();
PrintCanaries();

var ok = initialized == CanaryPhase.Initialized && promoted == CanaryPhase.Succeeded && rolledBack == CanaryPhase.Failed
    && workload.PrimaryTemplate == "quay.io/stefanprodan/podinfo:1.4.1" && mesh.Routes == TrafficRoutes.AllToPrimary;
Console.WriteLine(ok
    ? "Walkthrough complete: 1.4.1 promoted, 1.4.2 rolled back; the primary still runs 1.4.1."
    : "Walkthrough did not end as expected.");
return ok ? 0 : 1;
