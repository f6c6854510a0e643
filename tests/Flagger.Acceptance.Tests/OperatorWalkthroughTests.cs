using System.Globalization;
using Flagger.Analysis;
using Flagger.Model;
using Flagger.Operator;
using Flagger.Prometheus.Tests.Fixtures;
using Flagger.Store;
using Flagger.Testing;
using Flagger.Testing.Receivers;
using Flagger.Tests.Operator;
using k8s;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Flagger.Acceptance;

/// <summary>
/// The walkthrough end to end: the operator built from Flagger's flags as in production, on the embedded cluster
/// with the walkthrough's manifests, judging the canary by the real Prometheus. A healthy revision is promoted;
/// a revision whose pods answer 503s is rolled back.
/// </summary>
public sealed class OperatorWalkthroughTests(PrometheusServer prometheus) : IAsyncLifetime
{
    private static readonly string Repository = FindRepository();
    private readonly string kubeconfig = Path.Combine(Path.GetTempPath(), $"flagger-acceptance-{Guid.NewGuid():N}.yaml");
    private EmbeddedCluster cluster = null!;
    private RecordingReceiver receiver = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        // The CRDs come from deploy/crds, as a cluster admin would install them, not from the harness.
        cluster = await EmbeddedCluster.StartAsync(
            new EmbeddedClusterOptions { InstallFlaggerCrds = false, InstallIstioCrds = false, RolloutDelay = TimeSpan.FromMilliseconds(200) }, Ct);
        cluster.WriteKubeconfig(kubeconfig);
        receiver = await RecordingReceiver.StartAsync(Ct);
    }

    public async ValueTask DisposeAsync()
    {
        await receiver.DisposeAsync();
        await cluster.DisposeAsync();
        File.Delete(kubeconfig);
    }

    [Fact]
    public async Task The_operator_promotes_a_healthy_revision_and_rolls_back_a_faulty_one()
    {
        await ApplyAsync("-f", Path.Combine(Repository, "deploy/crds"));
        await ApplyAsync("-f", Path.Combine(Repository, "deploy/artifacts/namespaces/test.yaml"));
        await ApplyAsync("-f", Path.Combine(Repository, "deploy/artifacts/canaries/deployment.yaml"));
        await ApplyAsync("-f", Path.Combine(Repository, "deploy/artifacts/canaries/hpa.yaml"));
        await using var app = OperatorHost.Build(
            [
                "-kubeconfig", kubeconfig,
                "-metrics-server", prometheus.Address.ToString(),
                "-mesh-provider=istio",
                "-slack-url", $"{receiver.Address}/slack", "-slack-channel", "general", "-slack-user", "flagger",
                "-event-webhook", $"{receiver.Address}/events",
                "-cluster-name", "acceptance",
                "-enable-leader-election", "-leader-election-namespace", "kube-system",
                "-port", "0",
                "-log-level", "warning",
            ],
            // The walkthrough's 1m interval would take minutes; Flagger's 10s floor is lowered for a 1s canary.
            services => services.Configure<EngineOptions>(o => o.MinimumInterval = TimeSpan.FromSeconds(1)));
        await OperatorHost.StartAsync(app, Ct);
        var store = app.Services.GetRequiredService<ICanaryStore>();

        // No canary yet: the operator leads, has listed none, and is ready (a new install's probe must pass).
        using var http = new HttpClient();
        Assert.Equal("OK", await ReadyAsync(http, app));

        await ApplyStdinAsync(Canary(receiver.Address));
        await OperatorApp.WaitForPhaseAsync(store, "podinfo", CanaryPhase.Initialized);

        await SetImageAsync("stefanprodan/podinfo:1.4.1");
        await OperatorApp.WaitForPhaseAsync(store, "podinfo", CanaryPhase.Succeeded);

        // The next revision answers 503s: the exporter adds 30 failing requests a second to the canary workload.
        prometheus.Exporter.AddFailures("podinfo", 30);
        await SetImageAsync("stefanprodan/podinfo:1.4.2");
        await OperatorApp.WaitForPhaseAsync(store, "podinfo", CanaryPhase.Failed);

        using var client = cluster.CreateClient();
        var primary = await client.AppsV1.ReadNamespacedDeploymentAsync("podinfo-primary", "test", cancellationToken: Ct);
        Assert.Equal("stefanprodan/podinfo:1.4.1", primary.Spec.Template.Spec.Containers[0].Image);

        var events = EventMessages();
        Assert.Contains("Initialization done! podinfo.test", events);
        Assert.Contains("New revision detected! Scaling up podinfo.test", events);
        Assert.Contains("Advance podinfo.test canary weight 50", events);
        Assert.Contains("Copying podinfo.test template spec to podinfo-primary.test", events);
        Assert.Contains("Promotion completed! Scaling down podinfo.test", events);
        Assert.Contains(events, e => e.StartsWith("Halt podinfo.test advancement success rate ", StringComparison.Ordinal) && e.EndsWith("% < 85%", StringComparison.Ordinal));
        Assert.Contains("Rolling back podinfo.test failed checks threshold reached 5", events);
        Assert.Contains("Canary failed! Scaling down podinfo.test", events);
        var recorded = await client.CoreV1.ListNamespacedEventAsync("test", fieldSelector: "involvedObject.kind=Canary,involvedObject.name=podinfo", cancellationToken: Ct);
        Assert.Contains(recorded.Items, e => e.Message == "Rolling back podinfo.test failed checks threshold reached 5" && e.Type == "Warning" && e.Source.Component == "flagger");

        Assert.Equal(
            [
                "New Deployment detected, initialization completed.",
                "New revision detected, progressing canary analysis.",
                "Canary analysis completed successfully, promotion finished.",
                "New revision detected, progressing canary analysis.",
                "Failed checks threshold reached 5",
            ],
            SlackTexts());
        var rollbackAlert = receiver.At("/slack")[^1].Json();
        Assert.Equal("general", rollbackAlert.GetProperty("channel").GetString());
        Assert.Equal("danger", rollbackAlert.GetProperty("attachments")[0].GetProperty("color").GetString());

        var metrics = await http.GetStringAsync(new Uri(OperatorApp.Address(app), "/metrics"), Ct);
        Assert.Contains("flagger_canary_status{name=\"podinfo\",namespace=\"test\"} 2", metrics, StringComparison.Ordinal);
        Assert.Contains("flagger_canary_total{namespace=\"test\"} 1", metrics, StringComparison.Ordinal);
        Assert.Contains("flagger_info{version=", metrics, StringComparison.Ordinal);

        // Only the Lease holder drove the canary: the operator holds flagger-leader-election.
        var lease = await client.CoordinationV1.ReadNamespacedLeaseAsync("flagger-leader-election", "kube-system", cancellationToken: Ct);
        Assert.False(string.IsNullOrEmpty(lease.Spec.HolderIdentity));
        Assert.Equal("OK", await http.GetStringAsync(new Uri(OperatorApp.Address(app), "/healthz"), Ct));
        await app.StopAsync(Ct);
    }

    [Fact]
    public async Task A_cluster_without_the_crds_stops_the_operator_with_what_to_install()
    {
        await using var app = OperatorHost.Build(["-kubeconfig", kubeconfig, "-port", "0"]);

        var error = await Assert.ThrowsAsync<StartupCheckException>(() => OperatorHost.StartAsync(app, Ct));

        Assert.Equal(
            "the API server does not serve canaries.flagger.app/v1beta1, metrictemplates.flagger.app/v1beta1, alertproviders.flagger.app/v1beta1, "
            + "virtualservices.networking.istio.io/v1beta1, destinationrules.networking.istio.io/v1beta1: the CRDs are not installed; "
            + "install them with: kubectl apply -f deploy/crds",
            error.Message);
    }

    [Fact]
    public async Task Transient_api_errors_at_start_up_are_waited_out()
    {
        await ApplyAsync("-f", Path.Combine(Repository, "deploy/crds"));
        var refused = 0;
        cluster.Faults.FailRequests(1.0, 503, r => r.Resource == "canaries" && r.Verb == "list" && Interlocked.Increment(ref refused) <= 2);
        await using var app = OperatorHost.Build(["-kubeconfig", kubeconfig, "-mesh-provider=istio", "-port", "0", "-log-level", "error"]);

        await OperatorHost.StartAsync(app, Ct);

        Assert.True(Volatile.Read(ref refused) >= 3, $"{refused} canary lists");
        using var http = new HttpClient();
        Assert.Equal("OK", await http.GetStringAsync(new Uri(OperatorApp.Address(app), "/healthz"), Ct));
        await app.StopAsync(Ct);
    }

    // The text of each Slack attachment, in order.
    private List<string> SlackTexts() =>
        [.. receiver.At("/slack").Select(p => p.Json().GetProperty("attachments")[0].GetProperty("text").GetString() ?? string.Empty)];

    // The eventMessage of each event-webhook post, in order.
    private List<string> EventMessages() =>
        [.. receiver.At("/events").Select(p => p.Json().GetProperty("metadata").GetProperty("eventMessage").GetString() ?? string.Empty)];

    private static async Task<string> ReadyAsync(HttpClient http, WebApplication app)
    {
        for (var attempt = 0; ; attempt++)
        {
            using var response = await http.GetAsync(new Uri(OperatorApp.Address(app), "/readyz"), Ct);
            var body = await response.Content.ReadAsStringAsync(Ct);
            // A 200 "standby" comes first while the Lease is acquired; wait for the leader's "OK".
            if ((response.IsSuccessStatusCode && body == "OK") || attempt == 100)
            {
                return body;
            }

            await Task.Delay(100, Ct);
        }
    }

    private Task<string> ApplyAsync(params string[] arguments) => Kubectl.RunAsync(kubeconfig, ["apply", .. arguments], Ct);

    private Task<string> ApplyStdinAsync(string yaml) => Kubectl.RunAsync(kubeconfig, ["apply", "-f", "-"], Ct, yaml);

    private Task<string> SetImageAsync(string image) => Kubectl.RunAsync(kubeconfig, ["-n", "test", "set", "image", "deployment/podinfo", $"podinfod={image}"], Ct);

    /// <summary>
    /// The walkthrough's canary (deploy/artifacts/canaries/canary.yaml) with a 1s interval, metric windows the
    /// exporter's steady traffic fills (its canary answers 90% non-5xx, P99 175 ms, so the floor is 85%), and the
    /// load-test hook on the loopback receiver.
    /// </summary>
    private static string Canary(string receiver) =>
        File.ReadAllText(Path.Combine(Repository, "deploy/artifacts/canaries/canary.yaml"))
            .Replace("interval: 1m\n    # max number", "interval: 1s\n    # max number", StringComparison.Ordinal)
            .Replace("threshold: 99\n      interval: 1m", "threshold: 85\n      interval: 15s", StringComparison.Ordinal)
            .Replace("threshold: 500\n      interval: 30s", "threshold: 500\n      interval: 15s", StringComparison.Ordinal)
            .Replace("http://flagger-loadtester.test/", $"{receiver}/load-test", StringComparison.Ordinal);

    private static string FindRepository()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Flagger.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"no Flagger.slnx above {AppContext.BaseDirectory}");
    }
}
