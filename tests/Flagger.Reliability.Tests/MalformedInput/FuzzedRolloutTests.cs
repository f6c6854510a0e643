using System.Text.Json;
using System.Text.Json.Nodes;
using Flagger.Model;
using Flagger.Store;
using Flagger.Tests.Model;
using Flagger.Tests.Operator;
using k8s;
using Microsoft.Extensions.DependencyInjection;

namespace Flagger.Reliability.MalformedInput;

/// <summary>
/// Fuzzed canaries whose targets exist, so the fuzz reaches past validation: initialisation, analysis, promotion and
/// rollback. Each canary has its own Deployment; its service and analysis blocks are damaged at random, half of them
/// judge a builtin metric the (unreachable) metrics server cannot answer, so they are rolled back, and the rest are
/// promoted. A new revision is released through each canary that initialises. Then, with the operator stopped, every
/// canary's cluster state must agree with its phase.
/// </summary>
public sealed class FuzzedRolloutTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Canaries = 40;
    private const string OldImage = "stefanprodan/podinfo:1.4.0";
    private const string NewImage = "stefanprodan/podinfo:1.4.1";

    private MalformedCluster cluster = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => cluster = await MalformedCluster.StartAsync();

    public ValueTask DisposeAsync() => cluster.DisposeAsync();

    [Fact]
    public async Task Fuzzed_canaries_with_real_targets_initialise_promote_and_roll_back_and_leave_the_cluster_as_their_phase_says()
    {
        var podinfo = await cluster.DeploymentJsonAsync("podinfo");
        var random = new Random(20261205);
        var accepted = new List<string>();
        for (var i = 0; i < Canaries; i++)
        {
            var name = $"fz-{i:00}";
            cluster.Cluster.Apply(
                JsonEdit.Apply(podinfo, $"metadata.name=\"{name}\" & metadata.resourceVersion- & metadata.uid- & status- & spec.selector.matchLabels.app=\"{name}\" & spec.template.metadata.labels.app=\"{name}\""),
                "test");
            try
            {
                cluster.Cluster.Apply(Fuzzed(name, judged: i % 2 == 0, random), "test");
                accepted.Add(name);
            }
            catch (InvalidOperationException)
            {
                // Refused by the CRD's schema: the API server's job.
            }
        }

        await using var app = await cluster.StartOperatorAsync();
        var store = app.Services.GetRequiredService<ICanaryStore>();
        await cluster.PromoteGoodCanaryAsync(app);

        // Every canary is looked at; each one that initialises gets a new revision.
        var released = new HashSet<string>(StringComparer.Ordinal);
        var settled = await PollAsync(store, accepted, TimeSpan.FromSeconds(90), async (name, status) =>
        {
            if (status?.Phase == CanaryPhase.Initialized && released.Add(name))
            {
                cluster.Cluster.Apply(JsonEdit.Set(await cluster.DeploymentJsonAsync(name), "spec.template.spec.containers[0].image", $"\"{NewImage}\""), "test");
            }

            return status is not null && (IsInvalid(status) || (released.Contains(name) && status.Phase is CanaryPhase.Succeeded or CanaryPhase.Failed));
        });

        Assert.Equal("OK", await OperatorApp.HealthAsync(app));

        // Stopped, so nothing moves while the state is read.
        await app.StopAsync(Ct);

        var phases = new Dictionary<string, CanaryPhase?>(StringComparer.Ordinal);
        using var client = cluster.Cluster.CreateClient();
        foreach (var name in accepted)
        {
            var canary = await store.GetCanaryAsync("test", name, Ct);
            var status = canary?.Status;
            phases[name] = status?.Phase;
            var seen = $"{name}: {FlaggerJson.Serialize(status ?? new CanaryStatus())}";
            if (status is null || IsInvalid(status) || status.Phase is null or CanaryPhase.Initializing)
            {
                // Not run: it must say why, on its status and in a Warning.
                Assert.True(status?.Conditions?.Any(c => c.Status == "False") == true, $"not initialised and no False condition: {seen}");
                Assert.NotEmpty(await cluster.WarningsAsync(name));
                continue;
            }

            var target = await client.AppsV1.ReadNamespacedDeploymentAsync(name, "test", cancellationToken: Ct);
            var primary = await client.AppsV1.ReadNamespacedDeploymentAsync(name + "-primary", "test", cancellationToken: Ct);
            var (primaryWeight, canaryWeight) = await WeightsAsync(client, name);
            Assert.True(primaryWeight + canaryWeight == 100, $"weights {primaryWeight}/{canaryWeight}: {seen}");
            switch (status.Phase)
            {
                case CanaryPhase.Initialized or CanaryPhase.Failed:
                    Assert.True(Image(primary) == OldImage && target.Spec.Replicas == 0 && primaryWeight == 100, $"primary {Image(primary)}, target replicas {target.Spec.Replicas}, primary weight {primaryWeight}: {seen}");
                    break;
                case CanaryPhase.Succeeded:
                    Assert.True(Image(primary) == NewImage && target.Spec.Replicas == 0 && primaryWeight == 100, $"primary {Image(primary)}, target replicas {target.Spec.Replicas}, primary weight {primaryWeight}: {seen}");
                    break;
                default:
                    // Mid-run when the operator stopped (a fuzzed threshold or step can make a run long): the
                    // primary still serves the old revision and the target runs.
                    Assert.True(Image(primary) == OldImage && target.Spec.Replicas > 0, $"primary {Image(primary)}, target replicas {target.Spec.Replicas}: {seen}");
                    break;
            }
        }

        var summary = string.Join(", ", phases.Select(p => $"{p.Key}={p.Value?.ToString() ?? "none"}"));
        output.WriteLine($"{accepted.Count} of {Canaries} fuzzed canaries accepted by the schema, {released.Count} released a new revision: {summary}");
        Assert.True(settled, $"not every released canary ended within the time: {summary}");
        Assert.Contains(CanaryPhase.Succeeded, phases.Values);
        Assert.Contains(CanaryPhase.Failed, phases.Values);
        Assert.True(released.Count >= accepted.Count / 2, $"only {released.Count} of {accepted.Count} fuzzed canaries initialised: {summary}");
    }

    // The walkthrough's canary with a 1s interval, two failed checks to roll back and two steps, then 1 to 3 fields of
    // its service or analysis damaged. A judged canary checks the request success rate.
    private static string Fuzzed(string name, bool judged, Random random)
    {
        var canary = JsonNode.Parse(JsonEdit.Apply(
            MalformedCluster.GoodCanary,
            $"metadata.name=\"{name}\" & spec.targetRef.name=\"{name}\" & spec.analysis.threshold=2 & spec.analysis.stepWeight=25"))!.AsObject();
        var spec = canary["spec"]!.AsObject();
        if (judged)
        {
            spec["analysis"]!["metrics"] = new JsonArray(new JsonObject { ["name"] = "request-success-rate", ["interval"] = "1m", ["thresholdRange"] = new JsonObject { ["min"] = 99 } });
        }

        JsonFuzzer.Mutate([spec["service"]!.AsObject(), spec["analysis"]!.AsObject()], ["stepWeights", "iterations", "mirror", "webhooks", "maxWeight"], random);
        return canary.ToJsonString();
    }

    private static bool IsInvalid(CanaryStatus status) => status.Conditions?.Any(c => c is { Type: CanaryCondition.ValidType, Status: "False" }) == true;

    private static string? Image(k8s.Models.V1Deployment deployment) => deployment.Spec.Template.Spec.Containers[0].Image;

    // The apex VirtualService's split, primary and canary.
    private static async Task<(int Primary, int Canary)> WeightsAsync(IKubernetes client, string name)
    {
        var vs = (JsonElement)await client.CustomObjects.GetNamespacedCustomObjectAsync("networking.istio.io", "v1beta1", "test", "virtualservices", name, Ct);
        var (primary, canary) = (0, 0);
        foreach (var route in vs.GetProperty("spec").GetProperty("http")[0].GetProperty("route").EnumerateArray())
        {
            var host = route.GetProperty("destination").GetProperty("host").GetString();
            var weight = route.TryGetProperty("weight", out var w) ? w.GetInt32() : 0;
            if (host == name + "-primary")
            {
                primary += weight;
            }
            else if (host == name + "-canary")
            {
                canary += weight;
            }
        }

        return (primary, canary);
    }

    // Polls every canary's status until each is done, or the time is up (false then).
    private static async Task<bool> PollAsync(ICanaryStore store, IReadOnlyList<string> names, TimeSpan patience, Func<string, CanaryStatus?, Task<bool>> done)
    {
        var deadline = DateTime.UtcNow + patience;
        while (DateTime.UtcNow < deadline)
        {
            var all = true;
            foreach (var name in names)
            {
                all &= await done(name, (await store.GetCanaryAsync("test", name, Ct))?.Status);
            }

            if (all)
            {
                return true;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200), Ct);
        }

        return false;
    }
}
