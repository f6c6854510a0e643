using ConsumerCheck;
using Flagger.Analysis;
using Flagger.GatewayApi;
using Flagger.Kubernetes.Client;
using Flagger.Model;
using Flagger.Providers;
using Flagger.Testing;
using k8s;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

// Consumes the packed packages as a platform team would: the README's snippets must match this project's code,
// then the operator, with a custom metrics provider and notifier, promotes the walkthrough's new podinfo image on
// the embedded cluster, and the engine embedded on its own reads the result.
var repository = Path.GetFullPath(args.Length > 0 ? args[0] : Path.Combine(AppContext.BaseDirectory, "../../../../.."));
using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
var ct = timeout.Token;
var failures = 0;

void Check(string name, bool passed, string detail = "")
{
    Console.WriteLine($"{(passed ? "PASS" : "FAIL")} {name}{(passed || detail.Length == 0 ? "" : ": " + detail)}");
    failures += passed ? 0 : 1;
}

var snippetProblems = SnippetCheck.Problems(Path.Combine(repository, "README.md"), Path.Combine(repository, "eng/ConsumerCheck"));
Check("README snippets are this project's compiled code", snippetProblems.Count == 0, string.Join("\n", snippetProblems));

await using var cluster = await EmbeddedCluster.StartAsync(ct);
cluster.Apply(Manifests.Podinfo);
var budget = new ErrorBudget();
var chat = new TeamChat();
budget.BurnRates["burn_rate{workload=\"podinfo\"}"] = 0.2;

var builder = Host.CreateApplicationBuilder();
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.Services.AddSingleton<IKubernetes>(cluster.CreateClient());
builder.Services.AddSingleton(budget).AddSingleton(chat);
Snippets.AddTeamProviders(Snippets.RunTheOperator(builder.Services));
builder.Services.Configure<EngineOptions>(o => o.MinimumInterval = TimeSpan.FromSeconds(1)); // a 1s canary, for speed
using var host = builder.Build();
await host.StartAsync(ct);
// The typed client a team's tooling uses (Flagger.Kubernetes), not a polling loop over the operator's own cache.
var flagger = new FlaggerClient(cluster.CreateClient());

async Task<CanaryPhase?> WaitForAsync(CanaryPhase phase)
{
    try
    {
        return (await flagger.WaitForPhaseAsync("test", "podinfo", phase, TimeSpan.FromSeconds(45), ct)).Status?.Phase;
    }
    catch (Exception e) when (e is TimeoutException or InvalidOperationException)
    {
        Console.WriteLine(e.Message);
        return (await flagger.GetCanaryAsync("test", "podinfo", ct))?.Status?.Phase;
    }
}

var initialized = await WaitForAsync(CanaryPhase.Initialized);
Check("the operator initialises the canary", initialized == CanaryPhase.Initialized, $"phase {initialized}");
cluster.Apply(Manifests.NewImage);
var promoted = await WaitForAsync(CanaryPhase.Succeeded);
Check("the new image is promoted through the custom metrics provider", promoted == CanaryPhase.Succeeded, $"phase {promoted}");
// Alerts go out after the status write that ends the run (traffic and status first, notifications last), so the
// promotion's alert may arrive a moment after the phase is seen.
for (var i = 0; i < 100 && !chat.Posts.Any(p => p.Contains("promotion finished", StringComparison.Ordinal)); i++)
{
    await Task.Delay(TimeSpan.FromMilliseconds(100), ct);
}

Check("the custom notifier posted the promotion", chat.Posts.Any(p => p.Contains("promotion finished", StringComparison.Ordinal)), string.Join(" | ", chat.Posts));
await host.StopAsync(ct);

var embedded = new ServiceCollection().AddLogging().AddSingleton<IKubernetes>(cluster.CreateClient()).AddSingleton(budget);
var report = await Snippets.EmbedTheEngineAsync(embedded, ct);
Check("the embedded engine reads the promoted canary", report.Phase == CanaryPhase.Succeeded, $"phase {report.Phase}");

// The Gateway API router from its own package: the walkthrough's canary on gatewayapi:v1 gets its HTTPRoute.
var gatewayServices = new ServiceCollection().AddLogging().AddSingleton<IKubernetes>(cluster.CreateClient());
gatewayServices.AddFlaggerEngine().AddGatewayApi();
await using (var gatewayProvider = gatewayServices.BuildServiceProvider())
{
    var gatewayCanary = FlaggerJson.DeserializeCanary("""
        {"apiVersion":"flagger.app/v1beta1","kind":"Canary","metadata":{"name":"podinfo","namespace":"test"},
         "spec":{"provider":"gatewayapi:v1","targetRef":{"apiVersion":"apps/v1","kind":"Deployment","name":"podinfo"},
                 "service":{"name":"podinfo-gateway","port":9898,"hosts":["www.example.com"],"gatewayRefs":[{"name":"gateway"}]},
                 "analysis":{"interval":"1m","maxWeight":50,"stepWeight":10}}}
        """);
    var router = gatewayProvider.GetRequiredKeyedService<Flagger.Routing.IMeshRouter>("gatewayapi:v1");
    await router.ReconcileAsync(gatewayCanary, ct);
    await router.SetRoutesAsync(gatewayCanary, new Flagger.Routing.TrafficRoutes(90, 10), ct);
    var split = await router.GetRoutesAsync(gatewayCanary, ct);
    Check("the Gateway API package routes a canary through an HTTPRoute", split == new Flagger.Routing.TrafficRoutes(90, 10), $"split {split}");
}

Console.WriteLine(failures == 0 ? "consumer check passed" : $"consumer check failed: {failures} check(s)");
return failures == 0 ? 0 : 1;
