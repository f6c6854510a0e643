using Flagger.Analysis;
using Flagger.Model;
using Flagger.Operator;
using Flagger.Reliability.Harness;
using Flagger.Prometheus.Tests.Fixtures;
using Flagger.Store;
using Flagger.Testing;
using Flagger.Testing.Receivers;
using Flagger.Tests.Model;
using k8s;
using k8s.Models;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Flagger.Reliability.MetricsOutage;

/// <summary>
/// The real Prometheus stopped mid-analysis, with the operator as production builds it on the embedded cluster:
/// while it is down the canary's weight stays put and every tick is a failed check with a Warning event naming the
/// refused connection; at the threshold the canary is rolled back and Slack (a loopback listener) is told; back
/// under the threshold, the analysis goes on and the canary is promoted. Both tests stop the one Prometheus the
/// assembly shares, so they live in one class (run one after the other) and always start it again.
/// </summary>
public sealed class MetricsOutageTests(PrometheusServer prometheus) : IAsyncLifetime
{
    private readonly string kubeconfig = Path.Combine(Path.GetTempPath(), $"flagger-outage-{Guid.NewGuid():N}.yaml");
    private EmbeddedCluster cluster = null!;
    private RecordingReceiver listener = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        cluster = await EmbeddedCluster.StartAsync(new EmbeddedClusterOptions { RolloutDelay = TimeSpan.FromMilliseconds(200) }, Ct);
        cluster.WriteKubeconfig(kubeconfig);
        cluster.ApplyPath(Path.Combine(Repository.Root, "deploy/artifacts/namespaces/test.yaml"));
        cluster.ApplyPath(Path.Combine(Repository.Root, "deploy/artifacts/canaries/deployment.yaml"), "test");
        listener = await RecordingReceiver.StartAsync(Ct);
    }

    public async ValueTask DisposeAsync()
    {
        // The assembly's other tests need it: whatever happened, it runs again.
        if (!prometheus.IsRunning)
        {
            await prometheus.RestartAsync(CancellationToken.None);
        }

        await listener.DisposeAsync();
        await cluster.DisposeAsync();
        File.Delete(kubeconfig);
    }

    [Fact]
    public async Task Blind_ticks_under_the_threshold_hold_the_weight_then_the_canary_is_promoted()
    {
        await using var app = await StartOperatorAsync();
        var store = app.Services.GetRequiredService<ICanaryStore>();
        await StartRolloutAsync(store, threshold: 20);

        var blind = await GoBlindAsync(store);
        var held = await WaitForAsync(store, s => s.FailedChecks >= 3, "three failed checks while blind");
        Assert.Equal(CanaryPhase.Progressing, held.Phase);
        Assert.Equal(blind.CanaryWeight, held.CanaryWeight);

        await prometheus.RestartAsync(Ct);
        var done = await WaitForAsync(store, s => s.Phase is CanaryPhase.Succeeded or CanaryPhase.Failed, "the end of the analysis");

        Assert.Equal(CanaryPhase.Succeeded, done.Phase);
        Assert.Equal("stefanprodan/podinfo:1.4.1", await PrimaryImageAsync());
        var warnings = await BlindWarningsAsync();
        Assert.InRange(warnings.Count, 3, 19);
        // Slack messages carry a "Failed checks threshold" field; only a rollback says it was reached.
        Assert.DoesNotContain(listener.At("/slack").Select(r => r.Body), b => b.Contains("threshold reached", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Blind_ticks_reaching_the_threshold_roll_back_with_an_alert_and_never_promote()
    {
        await using var app = await StartOperatorAsync();
        var store = app.Services.GetRequiredService<ICanaryStore>();
        await StartRolloutAsync(store, threshold: 3);

        var blind = await GoBlindAsync(store);
        var weights = new List<int>();
        var done = await WaitForAsync(store, s => { weights.Add(s.CanaryWeight); return s.Phase is CanaryPhase.Succeeded or CanaryPhase.Failed; }, "the end of the analysis");

        Assert.Equal(CanaryPhase.Failed, done.Phase);
        // Blind, the weight never went up: it stayed where it was until the rollback set it to 0.
        Assert.All(weights, w => Assert.True(w == blind.CanaryWeight || w == 0, $"weight {w} while blind (was {blind.CanaryWeight})"));
        Assert.Equal("stefanprodan/podinfo:1.4.0", await PrimaryImageAsync());
        Assert.InRange((await BlindWarningsAsync()).Count, 3, 4);
        var alert = Assert.Single(listener.At("/slack").Select(r => r.Body), b => b.Contains("Failed checks threshold reached 3", StringComparison.Ordinal));
        Assert.Contains("\"color\":\"danger\"", alert, StringComparison.Ordinal);
        using var client = cluster.CreateClient();
        var events = await client.CoreV1.ListNamespacedEventAsync("test", fieldSelector: "involvedObject.name=podinfo", cancellationToken: Ct);
        Assert.Contains(events.Items, e => e.Type == "Warning" && e.Message == "Rolling back podinfo.test failed checks threshold reached 3");
    }

    // Initializes the canary, starts a rollout and waits for the first advance, so the outage is mid-analysis.
    private async Task StartRolloutAsync(ICanaryStore store, int threshold)
    {
        cluster.Apply(Canary(threshold), "test");
        await WaitForAsync(store, s => s.Phase == CanaryPhase.Initialized, "initialization");
        cluster.Apply(JsonEdit.Set(await DeploymentJsonAsync(), "spec.template.spec.containers[0].image", "\"stefanprodan/podinfo:1.4.1\""), "test");
        await WaitForAsync(store, s => s is { Phase: CanaryPhase.Progressing, CanaryWeight: > 0 }, "the first advance");
    }

    // Stops Prometheus and returns the status once the first blind check has failed: from then on nothing may advance.
    private async Task<CanaryStatus> GoBlindAsync(ICanaryStore store)
    {
        await prometheus.StopAsync(Ct);
        return await WaitForAsync(store, s => s.FailedChecks >= 1, "the first blind check");
    }

    private async Task<IReadOnlyList<Corev1Event>> BlindWarningsAsync()
    {
        using var client = cluster.CreateClient();
        var events = await client.CoreV1.ListNamespacedEventAsync("test", fieldSelector: "involvedObject.name=podinfo", cancellationToken: Ct);
        var blind = events.Items.Where(e => e.Message.StartsWith("Prometheus query failed: request to", StringComparison.Ordinal)).ToList();
        Assert.All(blind, e =>
        {
            Assert.Equal("Warning", e.Type);
            Assert.Contains(prometheus.Address.Authority, e.Message, StringComparison.Ordinal);
            Assert.Contains("refused", e.Message, StringComparison.OrdinalIgnoreCase);
        });

        // Events are aggregated by message: the count says how many ticks reported it.
        return blind.SelectMany(e => Enumerable.Repeat(e, e.Count ?? 1)).ToList();
    }

    private async Task<WebApplication> StartOperatorAsync()
    {
        var app = OperatorHost.Build(
            [
                "-kubeconfig", kubeconfig, "-mesh-provider=istio", "-metrics-server", prometheus.Address.ToString(),
                "-slack-url", $"{listener.Address}/slack", "-slack-channel", "general", "-slack-user", "flagger",
                "-port", "0", "-log-level", "error",
            ],
            // Flagger's 10s floor is lowered for a 1s canary: the outage spans whole intervals in seconds.
            services => services.Configure<EngineOptions>(o => o.MinimumInterval = TimeSpan.FromSeconds(1)));
        await OperatorHost.StartAsync(app, Ct);
        return app;
    }

    private async Task<string> PrimaryImageAsync()
    {
        using var client = cluster.CreateClient();
        var primary = await client.AppsV1.ReadNamespacedDeploymentAsync("podinfo-primary", "test", cancellationToken: Ct);
        return primary.Spec.Template.Spec.Containers[0].Image;
    }

    private async Task<string> DeploymentJsonAsync()
    {
        using var client = cluster.CreateClient();
        return KubernetesJson.Serialize(await client.AppsV1.ReadNamespacedDeploymentAsync("podinfo", "test", cancellationToken: Ct));
    }

    private static async Task<CanaryStatus> WaitForAsync(ICanaryStore store, Func<CanaryStatus, bool> reached, string what)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        deadline.CancelAfter(TimeSpan.FromSeconds(60));
        CanaryStatus? status = null;
        try
        {
            while (status is null || !reached(status))
            {
                // The operator ticks on the wall clock (1s interval) against a real Prometheus: poll its own cache.
                await Task.Delay(TimeSpan.FromMilliseconds(50), deadline.Token);
                status = (await store.GetCanaryAsync("test", "podinfo", deadline.Token))?.Status;
            }
        }
        catch (OperationCanceledException) when (!Ct.IsCancellationRequested)
        {
            Assert.Fail($"no {what} within 60s; status {FlaggerJson.Serialize(status ?? new CanaryStatus())}");
        }

        return status;
    }

    // The walkthrough's canary at a 1s interval with the exporter's traffic (canary 90% non-5xx, P99 175 ms).
    private string Canary(int threshold) => $$"""
        {"apiVersion":"flagger.app/v1beta1","kind":"Canary","metadata":{"name":"podinfo","namespace":"test"},
         "spec":{"targetRef":{"apiVersion":"apps/v1","kind":"Deployment","name":"podinfo"},
                 "progressDeadlineSeconds":60,
                 "service":{"port":9898},
                 "analysis":{"interval":"1s","threshold":{{threshold}},"maxWeight":50,"stepWeight":10,
                   "metrics":[{"name":"request-success-rate","threshold":85,"interval":"15s"},
                              {"name":"request-duration","threshold":500,"interval":"15s"}],
                   "webhooks":[{"name":"load-test","url":"{{listener.Address}}/load-test","timeout":"5s",
                                "metadata":{"cmd":"hey -z 1m -q 10 -c 2 http://podinfo-canary.test:9898/"} }]} } }
        """;
}
