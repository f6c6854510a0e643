using System.Text.Json.Nodes;
using Flagger.Model;
using Flagger.Store;
using Flagger.Tests.Model;
using Flagger.Tests.Operator;
using Microsoft.Extensions.DependencyInjection;

namespace Flagger.Reliability.MalformedInput;

/// <summary>
/// Bad Canary objects next to a good one, on the embedded cluster with the operator as production builds it: each bad
/// object is refused by the API server naming the field (the CRD's schema, as a real server would) or gets a
/// <c>Valid=False</c> condition and a Warning event naming the field and what to write instead; the operator keeps
/// running and the good canary is promoted meanwhile.
/// </summary>
public sealed class MalformedCanaryTests : IAsyncLifetime
{
    private MalformedCluster cluster = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => cluster = await MalformedCluster.StartAsync();

    public ValueTask DisposeAsync() => cluster.DisposeAsync();

    [Fact]
    public async Task Every_bad_canary_is_refused_or_reported_naming_its_field_and_the_good_one_is_promoted()
    {
        await using var app = await cluster.StartOperatorAsync();
        var refused = new Dictionary<string, string>(StringComparer.Ordinal);
        var accepted = new Dictionary<string, string>(StringComparer.Ordinal);
        var index = 0;
        foreach (var (edit, field) in MalformedCorpus.BadCanaries)
        {
            var name = $"bad-{index++:00}";
            var json = JsonEdit.Apply(Named(name), edit);
            try
            {
                cluster.Cluster.Apply(json, "test");
                accepted[name] = field;
            }
            catch (InvalidOperationException e)
            {
                Assert.True(e.Message.Contains(field, StringComparison.Ordinal), $"{edit}: the API server refused it without naming {field}: {e.Message}");
                refused[name] = e.Message;
            }
        }

        await cluster.PromoteGoodCanaryAsync(app);
        var store = app.Services.GetRequiredService<ICanaryStore>();

        foreach (var (name, field) in accepted)
        {
            var canary = await store.GetCanaryAsync("test", name, Ct);
            var valid = canary?.Status?.Conditions?.FirstOrDefault(c => c.Type == CanaryCondition.ValidType);
            Assert.True(valid is { Status: "False" }, $"{name} ({field}): no Valid=False condition; status {FlaggerJson.Serialize(canary?.Status ?? new CanaryStatus())}");
            Assert.Contains(field, valid!.Message, StringComparison.Ordinal);
            Assert.Contains(await cluster.WarningsAsync(name), m => m.Contains(field, StringComparison.Ordinal));
        }

        // Both paths are exercised: the schema refuses wrong types, the engine reports what only it can judge.
        Assert.True(refused.Count >= 5, $"refused by the schema: {string.Join(", ", refused.Keys)}");
        Assert.True(accepted.Count >= 15, $"reported by the operator: {string.Join(", ", accepted.Keys)}");
        Assert.Equal("OK", await OperatorApp.HealthAsync(app));
    }

    [Fact]
    public async Task A_canary_whose_target_does_not_exist_says_so_on_its_status_until_the_target_is_created()
    {
        await using var app = await cluster.StartOperatorAsync();
        var store = app.Services.GetRequiredService<ICanaryStore>();
        cluster.Cluster.Apply(JsonEdit.Apply(MalformedCluster.GoodCanary, "metadata.name=\"late\" & spec.targetRef.name=\"late\""), "test");

        var missing = (await OperatorApp.WaitForStatusAsync(store, "late", s => s.Conditions?.Any(IsTargetNotFound) == true, "a ResolvedRefs=False condition with reason TargetNotFound"))
            .Conditions!.First(IsTargetNotFound);
        Assert.StartsWith("deployment late.test get query error:", missing.Message, StringComparison.Ordinal);
        Assert.EndsWith("not found: create it, or name an existing workload in spec.targetRef", missing.Message, StringComparison.Ordinal);
        Assert.Contains(await cluster.WarningsAsync("late"), m => m.StartsWith("deployment late.test get query error:", StringComparison.Ordinal));

        var late = JsonEdit.Apply(
            await cluster.DeploymentJsonAsync("podinfo"),
            "metadata.name=\"late\" & metadata.resourceVersion- & metadata.uid- & status- & spec.selector.matchLabels.app=\"late\" & spec.template.metadata.labels.app=\"late\"");
        cluster.Cluster.Apply(late, "test");

        var initialized = await OperatorApp.WaitForPhaseAsync(store, "late", CanaryPhase.Initialized);
        Assert.DoesNotContain(initialized.Conditions ?? [], c => c.Type == CanaryCondition.ResolvedRefsType);
    }

    [Fact]
    public async Task Fuzzed_canaries_never_stop_the_operator_and_each_gets_a_status()
    {
        await using var app = await cluster.StartOperatorAsync();
        var random = new Random(20261128);
        var accepted = new List<string>();
        for (var i = 0; i < 200; i++)
        {
            var name = $"fuzz-{i:000}";
            var json = Mutate(JsonNode.Parse(Named(name))!.AsObject(), random);
            try
            {
                cluster.Cluster.Apply(json, "test");
                accepted.Add(name);
            }
            catch (InvalidOperationException)
            {
                // Refused by the schema (or not a Canary any more): the API server's job, not the operator's.
            }
        }

        await cluster.PromoteGoodCanaryAsync(app);
        var store = app.Services.GetRequiredService<ICanaryStore>();

        // Every fuzzed canary the server took has been looked at and answered with a Warning event and a condition:
        // Valid=False for what cannot run, or (a valid spec; its target does not exist) ResolvedRefs=False.
        Assert.NotEmpty(accepted);
        foreach (var name in accepted)
        {
            var status = (await store.GetCanaryAsync("test", name, Ct))?.Status;
            var warnings = await cluster.WarningsAsync(name);
            Assert.True(warnings.Count > 0, $"{name}: no Warning event; status {FlaggerJson.Serialize(status ?? new CanaryStatus())}");
            Assert.True(
                status?.Conditions?.Any(c => c is { Type: CanaryCondition.ValidType or CanaryCondition.ResolvedRefsType, Status: "False" }) == true,
                $"{name}: no Valid=False or ResolvedRefs=False condition; status {FlaggerJson.Serialize(status ?? new CanaryStatus())}");
        }
    }

    [Fact]
    public async Task Durations_no_timer_can_hold_never_stop_the_operator_and_are_reported_naming_the_bound()
    {
        // A cluster that still has Flagger's own CRD, whose duration patterns are not anchored at the end: it
        // admits what this repository's CRD refuses, so the operator meets these values in production too.
        await cluster.InstallUnanchoredDurationPatternsAsync();
        await using var app = await cluster.StartOperatorAsync();
        (string Edit, string Field, string Says)[] hostile =
        [
            ("spec.analysis.interval=\"99999999999999m\"", "spec.analysis.interval", "must be at most 24h0m0s"),
            ("spec.analysis.interval=\"71582789m\"", "spec.analysis.interval", "must be at most 24h0m0s"),
            ("spec.analysis.interval=\"1m99999999999999h\"", "spec.analysis.interval", "must be a duration in seconds or minutes"),
            ("spec.analysis.metrics=[{\"name\":\"request-success-rate\",\"interval\":\"99999999999999m\",\"thresholdRange\":{\"min\":99}}]", "spec.analysis.metrics[0].interval", "must be at most 24h0m0s"),
            ("spec.analysis.webhooks=[{\"name\":\"load\",\"url\":\"http://flagger-loadtester.test/\",\"timeout\":\"99999999999999m\",\"retries\":2147483647}]", "spec.analysis.webhooks[0]", "must be at most 1h0m0s"),
        ];
        for (var i = 0; i < hostile.Length; i++)
        {
            cluster.Cluster.Apply(JsonEdit.Apply(Named($"hostile-{i}"), hostile[i].Edit), "test");
        }

        await cluster.PromoteGoodCanaryAsync(app);
        var store = app.Services.GetRequiredService<ICanaryStore>();

        for (var i = 0; i < hostile.Length; i++)
        {
            var (_, field, says) = hostile[i];
            var status = await OperatorApp.WaitForStatusAsync(store, $"hostile-{i}", s => s.Conditions?.Any(c => c is { Type: CanaryCondition.ValidType, Status: "False" }) == true, "a Valid=False condition");
            var valid = status.Conditions!.First(c => c.Type == CanaryCondition.ValidType);
            Assert.Contains(field, valid.Message, StringComparison.Ordinal);
            Assert.Contains(says, valid.Message, StringComparison.Ordinal);
            Assert.Contains(await cluster.WarningsAsync($"hostile-{i}"), m => m.Contains(says, StringComparison.Ordinal));
        }

        Assert.Equal("OK", await OperatorApp.HealthAsync(app));
    }

    private static bool IsTargetNotFound(CanaryCondition c) => c is { Type: CanaryCondition.ResolvedRefsType, Status: "False", Reason: "TargetNotFound" };

    private static string Mutate(JsonObject canary, Random random)
    {
        var spec = canary["spec"]!.AsObject();
        JsonFuzzer.Mutate([spec, spec["targetRef"]!.AsObject(), spec["service"]!.AsObject(), spec["analysis"]!.AsObject()], ["stepWeights", "iterations", "metrics", "webhooks", "provider"], random);
        return canary.ToJsonString();
    }

    private static string Named(string name) =>
        JsonEdit.Set(JsonEdit.Set(MalformedCluster.GoodCanary, "metadata.name", $"\"{name}\""), "spec.targetRef.name", "\"bad-target\"");
}
