using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Flagger.Deploy.Tests;

/// <summary>
/// deploy/charts/flagger. Helm cannot be installed here, so the chart is checked without rendering it through
/// helm: valid YAML, the walkthrough's values, every value a template uses defined, balanced actions, and the
/// templates read with values.yaml's defaults (see <see cref="ChartTemplates"/>).
/// </summary>
public sealed partial class ChartTests
{
    [Fact]
    public void Chart_yaml_describes_an_application_chart_named_flagger()
    {
        var chart = Yaml.Single(Repo.Read($"{ChartTemplates.ChartDirectory}/Chart.yaml"));

        Assert.Equal("v2", chart["apiVersion"].Text());
        Assert.Equal("flagger", chart["name"].Text());
        Assert.Equal("application", chart["type"].Text());
        Assert.Matches(SemVer(), chart["version"].Text());
        Assert.Matches(SemVer(), chart["appVersion"].Text());
    }

    [Theory]
    [InlineData("metricsServer")]
    [InlineData("meshProvider")]
    [InlineData("slack.url")]
    [InlineData("slack.channel")]
    [InlineData("slack.user")]
    [InlineData("leaderElection.enabled")]
    [InlineData("leaderElection.replicaCount")]
    [InlineData("image.repository")]
    [InlineData("image.tag")]
    [InlineData("resources.limits.memory")]
    [InlineData("podMonitor.enabled")]
    public void Values_have_the_walkthroughs_keys(string path)
    {
        ChartTemplates.Lookup(path, out var found);

        Assert.True(found, $"values.yaml lacks {path}: `helm upgrade -i flagger ... --set {path}=...` would set a value no template reads");
    }

    [Fact]
    public void Defaults_run_the_flagger_dotnet_image_with_istio_one_replica_and_no_pod_monitor()
    {
        Assert.Equal("flagger-dotnet", ChartTemplates.Lookup("image.repository", out _).Text());
        Assert.Equal("istio", ChartTemplates.Lookup("meshProvider", out _).Text());
        Assert.Equal("flagger", ChartTemplates.Lookup("slack.user", out _).Text());
        Assert.Equal("false", ChartTemplates.Lookup("leaderElection.enabled", out _).Text());
        Assert.Equal("1", ChartTemplates.Lookup("leaderElection.replicaCount", out _).Text());
        Assert.Equal("false", ChartTemplates.Lookup("podMonitor.enabled", out _).Text());
    }

    [Fact]
    public void Every_value_a_template_uses_is_defined_in_values_yaml()
    {
        var references = ChartTemplates.ValueReferences().ToList();
        var missing = references.Where(r => { ChartTemplates.Lookup(r.Path, out var found); return !found; })
            .Select(r => $"{r.File}: .Values.{r.Path}").Distinct().ToList();

        Assert.True(references.Count > 30, $"only {references.Count} value references found: is the chart's templates/ directory read?");
        Assert.True(missing.Count == 0, "templates use values that values.yaml does not define: " + string.Join(", ", missing));
    }

    [Fact]
    public void Every_if_range_with_and_define_is_closed()
    {
        var problems = ChartTemplates.TemplateFiles().SelectMany(ChartTemplates.UnbalancedActions).ToList();

        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public void Every_manifest_template_reads_as_kubernetes_objects()
    {
        foreach (var file in ChartTemplates.TemplateFiles().Select(Path.GetFileName).Where(f => f!.EndsWith(".yaml", StringComparison.Ordinal)))
        {
            var objects = ChartTemplates.Render(file!);

            Assert.True(objects.Count > 0, $"{file} holds no object");
            Assert.All(objects, o =>
            {
                Assert.False(string.IsNullOrEmpty((string?)o["apiVersion"]), $"{file}: an object without apiVersion");
                Assert.False(string.IsNullOrEmpty((string?)o["kind"]), $"{file}: an object without kind");
                Assert.False(string.IsNullOrEmpty((string?)o["metadata"]?["name"]), $"{file}: an object without metadata.name");
            });
        }
    }

    [Fact]
    public void The_deployment_passes_the_walkthroughs_values_as_operator_flags_and_is_hardened()
    {
        var deployment = Assert.Single(ChartTemplates.Render("deployment.yaml"));

        var flags = OperatorManifest.Flags(deployment);
        Assert.Equal(ChartTemplates.Lookup("metricsServer", out _).Text(), flags["metrics-server"]);
        Assert.Equal("istio", flags["mesh-provider"]);
        Assert.Equal("flagger", flags["slack-user"]);
        Assert.True(flags.Values.ContainsKey("slack-channel"));
        Assert.True(flags.Values.ContainsKey("enable-leader-election"));
        Assert.Equal("8080", flags["port"]);
        Assert.Equal($"flagger-dotnet:{ChartTemplates.Placeholder}", OperatorManifest.Container(deployment)["image"].Text());
        OperatorManifest.AssertHardened(deployment);
        OperatorManifest.AssertSecretsStayOutOfArgs(deployment, ChartTemplates.Placeholder);
    }

    [Fact]
    public void The_slack_url_is_kept_in_a_secret_the_deployment_reads()
    {
        var secret = Assert.Single(ChartTemplates.Render("secret.yaml"));
        var keys = secret["stringData"]!.AsObject().Select(kv => kv.Key).ToList();
        var deployment = Assert.Single(ChartTemplates.Render("deployment.yaml"));
        var referenced = OperatorManifest.Container(deployment)["env"]!.AsArray().Select(e => e!["valueFrom"]!["secretKeyRef"]!["key"].Text()).ToList();

        Assert.Equal("Secret", secret["kind"].Text());
        Assert.Contains("slack-url", keys);
        Assert.Equal(keys.Order(StringComparer.Ordinal), referenced.Order(StringComparer.Ordinal));
        Assert.Contains(".Values.slack.url | quote", Repo.Read($"{ChartTemplates.ChartDirectory}/templates/secret.yaml"), StringComparison.Ordinal);
    }

    [Fact]
    public void The_metrics_service_and_pod_monitor_point_at_the_http_port()
    {
        var service = Assert.Single(ChartTemplates.Render("service.yaml"));
        var monitor = Assert.Single(ChartTemplates.Render("podmonitor.yaml"));

        var port = Assert.Single(service["spec"]!["ports"]!.AsArray())!;
        Assert.Equal(("http", "8080"), (port["name"].Text(), port["port"].Text()));
        var endpoint = Assert.Single(monitor["spec"]!["podMetricsEndpoints"]!.AsArray())!;
        Assert.Equal(("http", "/metrics"), (endpoint["port"].Text(), endpoint["path"].Text()));
    }

    [Fact]
    public void The_chart_installs_the_crds_of_deploy_crds()
    {
        // crds/ is a link to deploy/crds: one copy of the CRDs for kubectl, kustomize, Helm and the embedded cluster.
        var chartCrds = Repo.PathOf($"{ChartTemplates.ChartDirectory}/crds");
        var yamlFiles = (string dir) => Directory.GetFiles(dir, "*.yaml").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();

        Assert.Equal(yamlFiles(Repo.PathOf("deploy/crds")), yamlFiles(chartCrds));
        Assert.Equal(6, yamlFiles(chartCrds).Count);
        Assert.All(yamlFiles(chartCrds), f => Assert.Equal(Repo.Read($"deploy/crds/{f}"), File.ReadAllText(Path.Combine(chartCrds, f!))));
    }

    [GeneratedRegex(@"^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$")]
    private static partial Regex SemVer();
}
