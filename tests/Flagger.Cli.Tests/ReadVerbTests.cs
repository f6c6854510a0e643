using System.Text.Json.Nodes;
using Flagger.Cli.Tests.Fixtures;
using Flagger.Model;
using Flagger.Operator;
using Flagger.Prometheus.Tests.Fixtures;
using YamlDotNet.RepresentationModel;

namespace Flagger.Cli.Tests;

/// <summary>
/// The read verbs run as a user runs them (the built executable, the kubeconfig's current context) against the
/// embedded cluster with the operator releasing a new podinfo image, and through kubectl's plugin lookup.
/// </summary>
public sealed class ReadVerbTests(ReadVerbTests.Released released) : IClassFixture<ReadVerbTests.Released>
{
    private readonly CliCluster cluster = released.Cluster;

    [Fact]
    public async Task Get_canaries_lists_phase_weight_step_failed_checks_and_revision()
    {
        var canary = await cluster.Client.GetCanaryAsync("test", "podinfo", TestContext.Current.CancellationToken);
        var result = await cluster.FlaggerAsync("get", "canaries");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains(result.Lines, l => l.StartsWith("NAME", StringComparison.Ordinal) && l.Contains("PHASE", StringComparison.Ordinal) && l.Contains("REVISION", StringComparison.Ordinal));
        var row = Assert.Single(result.Lines, l => l.StartsWith("podinfo ", StringComparison.Ordinal));
        Assert.Matches(@"^podinfo\s+Succeeded\s+0/50\s+\[#{20}\]\s+0/2\s+0/2\s+-\s+success\s+\d+(\.\d+)?\s+Pass\s+\d+s\s+" + canary!.Status!.LastAppliedSpec![..10], row);
        var success = Assert.Single(canary.Status.Metrics!);
        Assert.Contains($"success {Math.Round(success.Value!.Value, 2).ToString(System.Globalization.CultureInfo.InvariantCulture)} Pass", row, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_canaries_all_namespaces_adds_the_namespace_column()
    {
        var result = await cluster.FlaggerAsync("get", "canaries", "-A");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains(result.Lines, l => l.StartsWith("NAMESPACE", StringComparison.Ordinal));
        Assert.Contains(result.Lines, l => l.StartsWith("test ", StringComparison.Ordinal) && l.Contains("podinfo", StringComparison.Ordinal));
        var elsewhere = await cluster.FlaggerAsync("get", "canaries", "-n", "default");
        Assert.Contains("no canaries", elsewhere.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_canaries_json_and_yaml_carry_the_status_as_the_api_server_has_it()
    {
        var stored = await cluster.Client.GetCanaryAsync("test", "podinfo", TestContext.Current.CancellationToken);

        var json = await cluster.FlaggerAsync("get", "canaries", "-o", "json");
        Assert.True(json.ExitCode == 0, json.ToString());
        var item = Assert.Single(JsonNode.Parse(json.Output)!["items"]!.AsArray())!;
        Assert.Equal("Succeeded", (string?)item["status"]!["phase"]);
        Assert.Equal(stored!.Status!.LastAppliedSpec, (string?)item["status"]!["lastAppliedSpec"]);

        var yaml = await cluster.FlaggerAsync("get", "canary", "podinfo", "-o", "yaml");
        Assert.True(yaml.ExitCode == 0, yaml.ToString());
        var document = new YamlStream();
        document.Load(new StringReader(yaml.Output));
        var root = (YamlMappingNode)document.Documents[0].RootNode;
        var status = (YamlMappingNode)root["status"];
        Assert.Equal("Succeeded", status["phase"].ToString());
        Assert.Equal(stored.Status.LastAppliedSpec, status["lastAppliedSpec"].ToString());
        Assert.Equal("podinfo", ((YamlMappingNode)root["spec"])["targetRef"]["name"].ToString());
    }

    [Fact]
    public async Task Get_canary_shows_its_analysis_and_the_timeline_of_events()
    {
        var result = await cluster.FlaggerAsync("get", "canary", "podinfo");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains(result.Lines, l => l.StartsWith("Canary", StringComparison.Ordinal) && l.EndsWith("test/podinfo", StringComparison.Ordinal));
        Assert.Contains(result.Lines, l => l.StartsWith("Phase", StringComparison.Ordinal) && l.Contains("Succeeded", StringComparison.Ordinal));
        Assert.Contains("Timeline", result.Output, StringComparison.Ordinal);
        Assert.Contains(result.Lines, l => l.Contains("Advance podinfo.test canary weight 25", StringComparison.Ordinal));
        Assert.Contains(result.Lines, l => l.Contains("Promotion completed!", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Get_canary_shows_each_metrics_last_value_verdict_and_its_values_per_check_as_a_chart()
    {
        var canary = await cluster.Client.GetCanaryAsync("test", "podinfo", TestContext.Current.CancellationToken);
        var success = Assert.Single(canary!.Status!.Metrics!);
        var history = success.History!;
        Assert.InRange(history.Count, 2, Model.CanaryMetricStatus.HistoryLength);

        var result = await cluster.FlaggerAsync("get", "canary", "podinfo");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains(result.Lines, l => l.Contains("VALUE", StringComparison.Ordinal) && l.Contains("VERDICT", StringComparison.Ordinal) && l.Contains("LAST CHECKS", StringComparison.Ordinal));
        var row = Assert.Single(result.Lines, l => l.TrimStart().StartsWith("success ", StringComparison.Ordinal) && l.Contains("template success-rate", StringComparison.Ordinal));
        Assert.Matches(@"80\.\.\+inf\s+template success-rate\s+\d+(\.\d+)?\s+Pass\s+[▁▂▃▄▅▆▇█]{" + history.Count + "}", row);
        Assert.Contains(result.Lines, l => l.Contains($"success, last {history.Count} checks (oldest first)", StringComparison.Ordinal));
        var bars = result.Lines.Where(l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^\s*(-\d+|last)\s+█")).ToList();
        Assert.Equal(history.Count, bars.Count);
        Assert.EndsWith(Math.Round(history[^1], 3).ToString(System.Globalization.CultureInfo.InvariantCulture), bars[^1].TrimEnd(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_canary_of_a_missing_name_says_so_and_exits_1()
    {
        var result = await cluster.FlaggerAsync("get", "canary", "nope");

        Assert.Equal(1, result.ExitCode);
        Assert.Equal("error: canary nope not found in namespace test", result.Error.Trim());
    }

    [Fact]
    public async Task Version_prints_the_client_and_the_operator_installed_in_the_cluster()
    {
        var offline = await CliProcess.RunFlaggerAsync(null, "version");
        Assert.True(offline.ExitCode == 0, offline.ToString());
        Assert.Equal("client: 0.1.0", offline.Lines[0]);
        Assert.StartsWith("operator: unknown (no kubeconfig", offline.Lines[1], StringComparison.Ordinal);

        var operatorVersion = OperatorHost.VersionLine().Split(' ')[^1];
        cluster.Cluster.Apply("""
            {"apiVersion":"apps/v1","kind":"Deployment",
             "metadata":{"name":"flagger","namespace":"istio-system","labels":{"app.kubernetes.io/name":"flagger"}},
             "spec":{"selector":{"matchLabels":{"app.kubernetes.io/name":"flagger"}},
                     "template":{"metadata":{"labels":{"app.kubernetes.io/name":"flagger"}},
                                 "spec":{"containers":[{"name":"flagger","image":"flagger-dotnet:OPERATOR_VERSION"}]}}}}
            """.Replace("OPERATOR_VERSION", operatorVersion, StringComparison.Ordinal));
        var online = await cluster.FlaggerAsync("version", "-o", "json");
        Assert.True(online.ExitCode == 0, online.ToString());
        var document = JsonNode.Parse(online.Output)!;
        Assert.Equal("0.1.0", (string?)document["client"]);
        Assert.Equal(operatorVersion, (string?)document["operator"]);
    }

    [Theory]
    [InlineData("get canaries --bogus", "error: Unrecognized command or argument '--bogus'")]
    [InlineData("get canaries -o xml", "error: Argument 'xml' not recognized. Must be one of: 'json' 'yaml'")]
    [InlineData("promote", "error: Required argument missing for command: 'promote'")]
    [InlineData("frobnicate", "error: Unrecognized command or argument 'frobnicate'")]
    [InlineData("get canaries --exit-on-complete", "error: --exit-on-complete needs -w (it ends a watch)")]
    public async Task A_bad_command_line_gives_one_line_and_exit_code_2(string commandLine, string expected)
    {
        var result = await cluster.FlaggerAsync(commandLine.Split(' '));

        Assert.True(result.ExitCode == 2, result.ToString());
        var line = Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith(expected, line, StringComparison.Ordinal);
        Assert.Empty(result.Output);
    }

    [Fact]
    public async Task A_missing_kubeconfig_gives_one_line_and_exit_code_2()
    {
        var none = await CliProcess.RunFlaggerAsync(null, "get", "canaries");
        Assert.Equal(2, none.ExitCode);
        Assert.Equal("error: no kubeconfig: pass --kubeconfig FILE, set KUBECONFIG, or create ~/.kube/config", none.Error.Trim());

        var missing = await cluster.FlaggerAsync("get", "canaries", "--kubeconfig", "/nonexistent/kubeconfig");
        Assert.Equal(2, missing.ExitCode);
        Assert.Equal("error: --kubeconfig /nonexistent/kubeconfig: no such file", missing.Error.Trim());
    }

    [Fact]
    public async Task Kubectl_finds_the_tool_as_its_flagger_plugin()
    {
        var kubectl = CliProcess.Require("kubectl", "kubernetes-client");
        var plugins = Directory.CreateTempSubdirectory("flagger-plugin-");
        try
        {
            // What a user does after `dotnet tool install`: the same binary, under kubectl's plugin name, on PATH.
            File.CreateSymbolicLink(Path.Combine(plugins.FullName, "kubectl-flagger"), CliProcess.Flagger);
            var environment = new Dictionary<string, string?>(cluster.Environment)
            {
                ["PATH"] = $"{plugins.FullName}{Path.PathSeparator}{System.Environment.GetEnvironmentVariable("PATH")}",
            };

            var listed = await CliProcess.RunAsync(kubectl, ["plugin", "list"], environment);
            Assert.Contains(Path.Combine(plugins.FullName, "kubectl-flagger"), listed.Output, StringComparison.Ordinal);

            var result = await CliProcess.RunAsync(kubectl, ["flagger", "get", "canaries", "-n", "test"], environment);
            Assert.True(result.ExitCode == 0, result.ToString());
            Assert.Contains(result.Lines, l => l.StartsWith("podinfo ", StringComparison.Ordinal) && l.Contains("Succeeded", StringComparison.Ordinal));

            var bad = await CliProcess.RunAsync(kubectl, ["flagger", "get", "canaries", "--bogus"], environment);
            Assert.Equal(2, bad.ExitCode);
            Assert.Contains("see 'kubectl flagger --help'", bad.Error, StringComparison.Ordinal);
        }
        finally
        {
            plugins.Delete(recursive: true);
        }
    }

    /// <summary>One cluster for the class (the verbs only read): podinfo released once, from 1.4.0 to 1.4.1.</summary>
    public sealed class Released(PrometheusServer prometheus) : IAsyncLifetime
    {
        internal CliCluster Cluster { get; private set; } = null!;

        public async ValueTask InitializeAsync()
        {
            Cluster = await CliCluster.StartAsync();

            // One metric, judged each check against the real Prometheus (podinfo answers ~90% without a 5xx).
            Cluster.Cluster.Apply($$$"""
                {"apiVersion":"flagger.app/v1beta1","kind":"MetricTemplate","metadata":{"name":"success-rate","namespace":"test"},
                 "spec":{"provider":{"type":"prometheus","address":"{{{prometheus.Address}}}"},
                         "query":"sum(rate(istio_requests_total{reporter=\"destination\",destination_workload_namespace=\"{{ namespace }}\",destination_workload=~\"{{ target }}\",response_code!~\"5.*\"}[{{ interval }}])) / sum(rate(istio_requests_total{reporter=\"destination\",destination_workload_namespace=\"{{ namespace }}\",destination_workload=~\"{{ target }}\"}[{{ interval }}])) * 100"}}
                """, "test");
            await Cluster.CreateCanaryAsync("podinfo", "spec.analysis.metrics=[{\"name\":\"success\",\"interval\":\"1m\",\"templateRef\":{\"name\":\"success-rate\"},\"thresholdRange\":{\"min\":80}}]");
            await Cluster.WaitForPhaseAsync("podinfo", CanaryPhase.Initialized);
            await Cluster.ReleaseAsync("podinfo", "stefanprodan/podinfo:1.4.1");
            try
            {
                await Cluster.WaitForPhaseAsync("podinfo", CanaryPhase.Succeeded);
            }
            catch (InvalidOperationException e)
            {
                var events = await Cluster.Client.ListCanaryEventsAsync("test", "podinfo", TestContext.Current.CancellationToken);
                throw new InvalidOperationException($"{e.Message}; events: {string.Join(" | ", events.Select(x => x.Message))}", e);
            }
        }

        public ValueTask DisposeAsync() => Cluster.DisposeAsync();
    }
}
