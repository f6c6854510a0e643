using System.Text.Json;
using System.Text.Json.Nodes;
using Flagger.Model;
using Flagger.Model.Validation;
using Flagger.Store;
using Flagger.Tests.Model;
using Flagger.Tests.Operator;
using k8s;
using k8s.Models;
using Microsoft.Extensions.DependencyInjection;

namespace Flagger.Reliability.MalformedInput;

/// <summary>
/// Bad MetricTemplates and AlertProviders, and a canary whose metric names a template that does not exist, next to the
/// good canary, on the embedded cluster with the operator as production builds it. Each bad object is refused by the
/// API server naming the field (the CRD's schema) or gets a <c>Valid=False</c> condition and a Warning event naming
/// the field, without repeating a credential it holds; the operator keeps running and the good canary is promoted.
/// </summary>
public sealed class MalformedReferenceTests : IAsyncLifetime
{
    private MalformedCluster cluster = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => cluster = await MalformedCluster.StartAsync();

    public ValueTask DisposeAsync() => cluster.DisposeAsync();

    [Fact]
    public async Task Every_bad_template_and_provider_is_refused_or_reported_naming_its_field_and_the_good_canary_is_promoted()
    {
        await using var app = await cluster.StartOperatorAsync();
        var accepted = new List<(string Plural, string Name, string Field, string? Secret)>();
        var refused = 0;
        foreach (var (plural, body, rows) in new[] { ("metrictemplates", MalformedCorpus.Template, MalformedCorpus.BadTemplates), ("alertproviders", MalformedCorpus.Provider, MalformedCorpus.BadProviders) })
        {
            for (var i = 0; i < rows.Length; i++)
            {
                var (edit, field, secret) = rows[i];
                var name = $"bad-{plural[..6]}-{i:00}";
                try
                {
                    cluster.Cluster.Apply(JsonEdit.Apply(JsonEdit.Set(body, "metadata.name", $"\"{name}\""), edit), "test");
                    accepted.Add((plural, name, field, secret));
                }
                catch (InvalidOperationException e)
                {
                    Assert.True(e.Message.Contains(field, StringComparison.Ordinal), $"{plural} {edit[..Math.Min(80, edit.Length)]}: the API server refused it without naming {field}: {e.Message[..Math.Min(400, e.Message.Length)]}");
                    refused++;
                }
            }
        }

        await cluster.PromoteGoodCanaryAsync(app);

        foreach (var (plural, name, field, secret) in accepted)
        {
            var valid = await WaitForValidConditionAsync(plural, name, c => c is { Status: "False" });
            Assert.True(valid is not null, $"{plural} {name} ({field}): no Valid=False condition");
            Assert.Contains(field, valid!.Message, StringComparison.Ordinal);
            Assert.True(valid.Message!.Length <= 1024, $"{name}: a {valid.Message.Length}-character condition message");
            var warnings = await cluster.WarningsAsync(name);
            Assert.Contains(warnings, m => m.Contains(field, StringComparison.Ordinal));
            if (secret is not null)
            {
                Assert.DoesNotContain(secret, valid.Message, StringComparison.Ordinal);
                Assert.All(warnings, m => Assert.DoesNotContain(secret, m, StringComparison.Ordinal));
            }
        }

        Assert.True(accepted.Count(a => a.Plural == "metrictemplates") >= 8, $"templates reported: {accepted.Count(a => a.Plural == "metrictemplates")}");
        Assert.True(accepted.Count(a => a.Plural == "alertproviders") >= 8, $"providers reported: {accepted.Count(a => a.Plural == "alertproviders")}");
        Assert.True(refused >= 8, $"refused by the schema: {refused}");
        Assert.Equal("OK", await OperatorApp.HealthAsync(app));
    }

    [Fact]
    public async Task A_fixed_template_loses_its_condition()
    {
        await using var app = await cluster.StartOperatorAsync();
        cluster.Cluster.Apply(JsonEdit.Apply(MalformedCorpus.Template, "spec.provider.type=\"promethues\""), "test");
        Assert.NotNull(await WaitForValidConditionAsync("metrictemplates", "t", c => c is { Status: "False" }));

        using var client = cluster.Cluster.CreateClient();
        await client.CustomObjects.PatchNamespacedCustomObjectAsync(
            new V1Patch("""{"spec":{"provider":{"type":"prometheus"}}}""", V1Patch.PatchType.MergePatch), "flagger.app", "v1beta1", "test", "metrictemplates", "t", cancellationToken: Ct);

        Assert.Null(await WaitForValidConditionAsync("metrictemplates", "t", c => c is null));
        Assert.Single(await cluster.WarningsAsync("t"));
    }

    [Fact]
    public async Task A_metric_naming_a_missing_template_gets_a_warning_and_a_condition_naming_it_and_the_good_canary_is_promoted()
    {
        // Flagger reports an unknown templateRef when analysis reads it, not as an invalid spec: the provider check of
        // the first tick (and each analysis tick after) says so in a Warning event and in the ResolvedRefs condition.
        var deployment = JsonEdit.Apply(
            await cluster.DeploymentJsonAsync("podinfo"),
            "metadata.name=\"orders\" & metadata.resourceVersion- & metadata.uid- & spec.selector.matchLabels.app=\"orders\" & spec.template.metadata.labels.app=\"orders\"");
        cluster.Cluster.Apply(deployment, "test");
        var canary = JsonEdit.Apply(
            MalformedCluster.GoodCanary,
            "metadata.name=\"orders\" & spec.targetRef.name=\"orders\" & spec.analysis.metrics=[{\"name\":\"error-rate\",\"templateRef\":{\"name\":\"missing\"},\"thresholdRange\":{\"max\":1}}]");
        await using var app = await cluster.StartOperatorAsync();
        cluster.Cluster.Apply(canary, "test");

        await cluster.PromoteGoodCanaryAsync(app);

        var store = app.Services.GetRequiredService<ICanaryStore>();
        var status = (await store.GetCanaryAsync("test", "orders", Ct))?.Status;
        var resolved = status?.Conditions?.FirstOrDefault(c => c.Type == CanaryCondition.ResolvedRefsType);
        Assert.True(resolved is { Status: "False" }, $"no ResolvedRefs=False condition; status {FlaggerJson.Serialize(status ?? new CanaryStatus())}");
        Assert.Equal("spec.analysis.metrics[0].templateRef: Metric template missing.test error: not found", resolved!.Message);
        Assert.Contains(await cluster.WarningsAsync("orders"), m => m.Contains("Metric template missing.test error: not found", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Fuzzed_templates_and_providers_never_stop_the_operator_and_each_unusable_one_is_reported()
    {
        await using var app = await cluster.StartOperatorAsync();
        var random = new Random(20261129);
        var accepted = new List<(string Plural, string Name)>();
        for (var i = 0; i < 100; i++)
        {
            var template = JsonNode.Parse(JsonEdit.Set(MalformedCorpus.Template, "metadata.name", $"\"fuzz-t-{i:000}\""))!.AsObject();
            var spec = template["spec"]!.AsObject();
            JsonFuzzer.Mutate([spec, spec["provider"]!.AsObject()], ["secretRef", "region", "insecureSkipVerify", "headers"], random);
            var provider = JsonNode.Parse(JsonEdit.Set(MalformedCorpus.Provider, "metadata.name", $"\"fuzz-p-{i:000}\""))!.AsObject();
            JsonFuzzer.Mutate([provider["spec"]!.AsObject()], ["proxy", "secretRef", "username"], random);
            foreach (var (plural, body) in new[] { ("metrictemplates", template), ("alertproviders", provider) })
            {
                try
                {
                    cluster.Cluster.Apply(body.ToJsonString(), "test");
                    accepted.Add((plural, body["metadata"]!["name"]!.GetValue<string>()));
                }
                catch (InvalidOperationException)
                {
                    // Refused by the schema: the API server's job, not the operator's.
                }
            }
        }

        await cluster.PromoteGoodCanaryAsync(app);

        // The validators with no operator knowledge are the oracle: what they reject must be reported (the operator,
        // knowing its registered providers, may reject more, and then must say so in an event too).
        Assert.NotEmpty(accepted);
        using var client = cluster.Cluster.CreateClient();
        foreach (var (plural, name) in accepted)
        {
            var raw = ((JsonElement)await client.CustomObjects.GetNamespacedCustomObjectAsync("flagger.app", "v1beta1", "test", plural, name, Ct)).GetRawText();
            var problems = plural == "metrictemplates"
                ? MetricTemplateValidator.Validate(FlaggerJson.ReadMetricTemplate(raw))
                : AlertProviderValidator.Validate(FlaggerJson.ReadAlertProvider(raw));
            var valid = problems.Count > 0
                ? await WaitForValidConditionAsync(plural, name, c => c is { Status: "False" })
                : await WaitForValidConditionAsync(plural, name, _ => true);
            if (problems.Count > 0)
            {
                Assert.True(valid is { Status: "False" }, $"{name}: {problems[0]} but no Valid=False condition");
                Assert.Contains(problems[0].Path, valid!.Message, StringComparison.Ordinal);
            }

            if (valid is not null)
            {
                Assert.Contains(valid.Message, await cluster.WarningsAsync(name));
            }
        }

        Assert.Equal("OK", await OperatorApp.HealthAsync(app));
    }

    private async Task<CanaryCondition?> WaitForValidConditionAsync(string plural, string name, Func<CanaryCondition?, bool> until)
    {
        using var client = cluster.Cluster.CreateClient();
        CanaryCondition? condition = null;
        for (var attempt = 0; attempt < 300; attempt++)
        {
            var raw = ((JsonElement)await client.CustomObjects.GetNamespacedCustomObjectAsync("flagger.app", "v1beta1", "test", plural, name, Ct)).GetRawText();
            var status = plural == "metrictemplates" ? FlaggerJson.ReadMetricTemplate(raw).Status : FlaggerJson.ReadAlertProvider(raw).Status;
            condition = status?.Conditions?.FirstOrDefault(c => c.Type == CanaryCondition.ValidType);
            if (until(condition))
            {
                return condition;
            }

            await Task.Delay(100, Ct);
        }

        return condition;
    }
}
