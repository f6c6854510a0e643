using System.Text.Json.Nodes;

namespace Flagger.Deploy.Tests;

/// <summary>deploy/dashboards: RED metrics of primary versus canary from Istio's telemetry.</summary>
public sealed class DashboardTests
{
    private static readonly JsonObject Dashboard = JsonNode.Parse(Repo.Read("deploy/dashboards/flagger-canary.json"))!.AsObject();

    private static IEnumerable<JsonObject> Panels => Dashboard["panels"]!.AsArray().Select(p => p!.AsObject());

    private static List<string> Queries(string title) =>
        [.. Assert.Single(Panels, p => (string?)p["title"] == title)["targets"]!.AsArray().Select(t => t!["expr"].Text())];

    [Fact]
    public void Variables_choose_the_namespace_the_primary_and_the_canary()
    {
        var variables = Dashboard["templating"]!["list"]!.AsArray().Select(v => v!["name"].Text()).ToList();

        Assert.Equal(["datasource", "namespace", "primary", "canary"], variables);
    }

    [Theory]
    [InlineData("Request rate", "sum(rate(istio_requests_total{")]
    [InlineData("Success rate", "response_code!~\"5.*\"")]
    [InlineData("P50 latency", "histogram_quantile(0.50, sum(rate(istio_request_duration_milliseconds_bucket{")]
    [InlineData("P99 latency", "histogram_quantile(0.99, sum(rate(istio_request_duration_milliseconds_bucket{")]
    public void Each_red_panel_compares_the_primary_with_the_canary(string title, string query)
    {
        var queries = Queries(title);

        Assert.Equal(2, queries.Count);
        Assert.All(queries, q =>
        {
            Assert.Contains(query, q, StringComparison.Ordinal);
            Assert.Contains("reporter=\"destination\"", q, StringComparison.Ordinal);
            Assert.Contains("destination_workload_namespace=\"$namespace\"", q, StringComparison.Ordinal);
        });
        Assert.Contains("destination_workload=\"$primary\"", queries[0], StringComparison.Ordinal);
        Assert.Contains("destination_workload=\"$canary\"", queries[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_query_is_valid_promql()
    {
        // promtool parses each query (variables filled in) as a recording rule: the real PromQL parser, no server.
        var queries = Panels.SelectMany(p => p["targets"]!.AsArray().Select(t => t!["expr"].Text()))
            .Concat(Dashboard["templating"]!["list"]!.AsArray().Where(v => v!["type"].Text() == "query").Select(v => LabelValuesSelector(v!["definition"].Text())))
            .Select(q => q.Replace("$__rate_interval", "1m", StringComparison.Ordinal).Replace("$namespace", "test", StringComparison.Ordinal)
                .Replace("$primary", "podinfo-primary", StringComparison.Ordinal).Replace("$canary", "podinfo", StringComparison.Ordinal))
            .ToList();
        Assert.DoesNotContain(queries, q => q.Contains('$', StringComparison.Ordinal));
        var rules = new JsonObject
        {
            ["groups"] = new JsonArray(new JsonObject
            {
                ["name"] = "dashboard",
                ["rules"] = new JsonArray([.. queries.Select((q, i) => (JsonNode)new JsonObject { ["record"] = $"dashboard:query_{i}", ["expr"] = q })]),
            }),
        };
        var file = Path.Combine(Directory.CreateTempSubdirectory("flagger-dashboard-").FullName, "queries.json");
        await File.WriteAllTextAsync(file, rules.ToJsonString(), TestContext.Current.CancellationToken);
        try
        {
            Assert.Contains($"SUCCESS: {queries.Count} rules found", await Tool.RunAsync("promtool", "check", "rules", file), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(file)!, recursive: true);
        }
    }

    // label_values(selector, label) is Grafana's; its selector is PromQL.
    private static string LabelValuesSelector(string definition) =>
        definition["label_values(".Length..definition.LastIndexOf(',')];
}
