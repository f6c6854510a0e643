using System.Diagnostics;
using Flagger.Analysis;
using Flagger.Hosting;
using Flagger.Kubernetes;
using Flagger.Leadership;
using Flagger.Notifications;
using Flagger.Operator;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Flagger.Acceptance;

/// <summary>Each flag issue 6 lists reaches the option it names; bad flags and bad values are reported, each naming its flag.</summary>
public sealed class OperatorHostTests : IDisposable
{
    private readonly string kubeconfig = Path.Combine(Path.GetTempPath(), $"flagger-host-{Guid.NewGuid():N}.yaml");

    public OperatorHostTests() => File.WriteAllText(kubeconfig, """
        apiVersion: v1
        kind: Config
        clusters:
        - name: c
          cluster: { server: "http://127.0.0.1:6443" }
        users:
        - name: u
          user: { token: t }
        contexts:
        - name: x
          context: { cluster: c, user: u, namespace: default }
        current-context: x
        """);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => File.Delete(kubeconfig);

    [Fact]
    public async Task Every_flag_reaches_its_option()
    {
        await using var app = OperatorHost.Build(
        [
            "-kubeconfig", kubeconfig,
            "-metrics-server", "http://prometheus.istio-system:9090",
            "-mesh-provider", "istio",
            "-namespace", "test",
            "-selector-labels", "app, team",
            "-include-label-prefix", "app.kubernetes.io,team.example",
            "-enable-config-tracking=false",
            "-enable-leader-election",
            "-leader-election-namespace", "istio-system",
            "-slack-url", "https://hooks.slack.example/T0/B0", "-slack-channel", "deploys", "-slack-user", "canary-bot",
            "-slack-token", "xoxb", "-slack-proxy-url", "http://proxy.example:3128",
            "-event-webhook", "http://events.example/",
            "-cluster-name", "prod-eu",
            "-port", "9797",
            "-log-level", "debug",
            "-no-cross-namespace-refs",
        ]);
        var services = app.Services;

        var engine = services.GetRequiredService<IOptions<EngineOptions>>().Value;
        Assert.Equal(("istio", "http://prometheus.istio-system:9090", "prod-eu", true), (engine.MeshProvider, engine.MetricsServer, engine.ClusterName, engine.NoCrossNamespaceRefs));
        var host = services.GetRequiredService<IOptions<FlaggerHostOptions>>().Value;
        Assert.Equal((9797, "http://events.example/"), (host.Port, host.EventWebhook));
        Assert.Equal("http://0.0.0.0:9797", app.Configuration["urls"]);
        var kubernetes = services.GetRequiredService<IOptions<KubernetesOptions>>().Value;
        Assert.Equal("http://127.0.0.1:6443", kubernetes.ClientConfiguration?.Host);
        Assert.Equal("test", kubernetes.Namespace);
        Assert.Equal(["app", "team"], kubernetes.SelectorLabels);
        Assert.Equal(["app.kubernetes.io", "team.example"], kubernetes.IncludeLabelPrefixes);
        Assert.False(kubernetes.EnableConfigTracking);
        Assert.True(kubernetes.EnableLeaderElection);
        Assert.Equal("istio-system", kubernetes.LeaderElectionNamespace);
        Assert.IsNotType<AlwaysLeader>(services.GetRequiredService<ILeaderGate>());
        var slack = services.GetRequiredService<IOptions<SlackOptions>>().Value;
        Assert.Equal(("https://hooks.slack.example/T0/B0", "deploys", "canary-bot", "xoxb", "http://proxy.example:3128"), (slack.Url, slack.Channel, slack.User, slack.Token, slack.ProxyUrl));
        Assert.NotNull(services.GetService<INotifier>());
        var logging = services.GetRequiredService<IOptions<LoggerFilterOptions>>().Value;
        Assert.Equal(LogLevel.Debug, logging.MinLevel);
        Assert.Contains(logging.Rules, r => r.CategoryName == "System.Net.Http.HttpClient" && r.LogLevel == LogLevel.Warning);
    }

    [Fact]
    public async Task Defaults_are_flaggers_and_msteams_is_the_global_notifier_without_slack()
    {
        await using var app = OperatorHost.Build(["-kubeconfig", kubeconfig, "-msteams-url", "https://teams.example/webhook"]);
        var services = app.Services;

        var engine = services.GetRequiredService<IOptions<EngineOptions>>().Value;
        Assert.Equal(("istio", "http://prometheus:9090", false), (engine.MeshProvider, engine.MetricsServer, engine.NoCrossNamespaceRefs));
        var kubernetes = services.GetRequiredService<IOptions<KubernetesOptions>>().Value;
        Assert.Equal(["app", "name", "app.kubernetes.io/name"], kubernetes.SelectorLabels);
        Assert.True(kubernetes.EnableConfigTracking);
        Assert.False(kubernetes.EnableLeaderElection);
        Assert.IsType<AlwaysLeader>(services.GetRequiredService<ILeaderGate>());
        Assert.Equal("http://0.0.0.0:8080", app.Configuration["urls"]);
        Assert.Equal("https://teams.example/webhook", services.GetRequiredService<IOptions<MSTeamsOptions>>().Value.Url);
        Assert.NotNull(services.GetService<INotifier>());
        Assert.Equal(LogLevel.Information, services.GetRequiredService<IOptions<LoggerFilterOptions>>().Value.MinLevel);
    }

    [Fact]
    public void Bad_flags_are_reported_together_each_naming_its_flag()
    {
        var error = Assert.Throws<FlagsException>(() => OperatorHost.Build(["-port", "eighty", "-mesh=istio", "-kubeconfig", "/nowhere/config"]));

        Assert.Equal(["--mesh: unknown flag; see --help", "--port: must be a number, got 'eighty'", "--kubeconfig: no file at '/nowhere/config'"], error.Problems);
    }

    [Fact]
    public void A_kubeconfig_that_cannot_be_used_is_reported_naming_the_flag()
    {
        File.WriteAllText(kubeconfig, "apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\n");

        var error = Assert.Throws<FlagsException>(() => OperatorHost.Build(["-kubeconfig", kubeconfig]));

        Assert.StartsWith($"--kubeconfig: cannot use '{kubeconfig}': ", Assert.Single(error.Problems), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Values_that_cannot_work_fail_at_start_each_naming_its_flag()
    {
        await using var app = OperatorHost.Build(["-kubeconfig", kubeconfig, "-metrics-server", "prometheus:9090", "-slack-url", "https://hooks.slack.example/T0", "-event-webhook", "events"]);

        var error = await Assert.ThrowsAsync<FlagsException>(() => OperatorHost.StartAsync(app, Ct));

        Assert.Contains("--metrics-server: must be an http(s) address, got 'prometheus:9090'", error.Problems);
        Assert.Contains("--slack-channel: must name the channel to post to", error.Problems);
        Assert.Contains("--event-webhook: must be an absolute URL, got 'events'", error.Problems);
    }

    [Fact]
    public async Task The_executable_prints_its_version_and_exits_0_and_exits_2_on_bad_flags()
    {
        var (version, versionOutput, _) = await RunAsync("-version");
        var (bad, _, badError) = await RunAsync("--port", "eighty");

        Assert.Equal(0, version);
        Assert.Matches(@"^Flagger version \d+\.\d+\.\d+\S* revision \S+\n$", versionOutput);
        Assert.Equal(2, bad);
        Assert.Equal("--port: must be a number, got 'eighty'\n", badError);
    }

    [Fact]
    public async Task The_executable_exits_1_naming_the_missing_crds_without_a_stack_trace()
    {
        await using var cluster = await Testing.EmbeddedCluster.StartAsync(new Testing.EmbeddedClusterOptions { InstallFlaggerCrds = false, InstallIstioCrds = false }, Ct);
        var config = Path.Combine(Path.GetTempPath(), $"flagger-nocrds-{Guid.NewGuid():N}.yaml");
        cluster.WriteKubeconfig(config);
        try
        {
            var (code, _, error) = await RunAsync("-kubeconfig", config, "-port", "0", "-mesh-provider", "kubernetes");

            Assert.Equal(1, code);
            Assert.Equal(
                "the API server does not serve canaries.flagger.app/v1beta1, metrictemplates.flagger.app/v1beta1, alertproviders.flagger.app/v1beta1: "
                + "the CRDs are not installed; install them with: kubectl apply -f deploy/crds\n",
                error);
        }
        finally
        {
            File.Delete(config);
        }
    }

    /// <summary>Runs the operator's own executable (copied beside the tests by the project reference).</summary>
    private static async Task<(int Code, string Output, string Error)> RunAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, "flagger"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // Only the flags given: the test machine's own SLACK_URL or EVENT_WEBHOOK_URL must not leak in.
        foreach (var variable in new[] { "SLACK_URL", "SLACK_TOKEN", "MSTEAMS_URL", "EVENT_WEBHOOK_URL" })
        {
            start.Environment.Remove(variable);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(Ct);
        var error = process.StandardError.ReadToEndAsync(Ct);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output, await error);
    }
}
