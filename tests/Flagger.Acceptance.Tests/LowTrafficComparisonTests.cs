using Flagger.Model;
using Flagger.Operator;
using Flagger.Prometheus.Tests.Fixtures;
using Flagger.Store;
using Flagger.Testing;
using Flagger.Testing.Mesh;
using Flagger.Tests.Operator;
using k8s;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Flagger.Acceptance;

/// <summary>
/// A canary judged against its primary, end to end: the operator built from Flagger's flags, the embedded cluster,
/// the real Prometheus scraping each side's request counters. At low traffic Flagger's thresholds find no values in
/// most windows and roll back a canary as good as its primary, which the sequential comparison promotes; with three
/// points more errors than its primary, the comparison rolls the canary back.
/// </summary>
public sealed class LowTrafficComparisonTests(PrometheusServer prometheus) : IAsyncLifetime
{
    private static readonly string Repository = FindRepository();
    private readonly string kubeconfig = Path.Combine(Path.GetTempPath(), $"flagger-acceptance-{Guid.NewGuid():N}.yaml");
    private readonly BackendTraffic traffic = new();
    private EmbeddedCluster cluster = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        cluster = await EmbeddedCluster.StartAsync(
            new EmbeddedClusterOptions { InstallFlaggerCrds = false, InstallIstioCrds = false, RolloutDelay = TimeSpan.FromMilliseconds(200) }, Ct);
        cluster.WriteKubeconfig(kubeconfig);
        prometheus.Exporter.AddSource(traffic.Counters);
    }

    public async ValueTask DisposeAsync()
    {
        traffic.Stop();
        await cluster.DisposeAsync();
        traffic.Dispose();
        File.Delete(kubeconfig);
    }

    [Fact]
    public async Task At_low_traffic_thresholds_roll_back_an_equal_canary_the_comparison_promotes_it_and_rolls_back_one_three_points_worse()
    {
        await KubectlAsync("apply", "-f", Path.Combine(Repository, "deploy/crds"));
        await KubectlAsync("apply", "-f", Path.Combine(Repository, "deploy/artifacts/namespaces/test.yaml"));
        await KubectlAsync(["apply", "-f", "-"], System.Text.RegularExpressions.Regex.Replace(File.ReadAllText(Path.Combine(Repository, "deploy/artifacts/canaries/deployment.yaml")), @"\bpodinfo\b", "backend"));
        await using var app = OperatorHost.Build(
            ["-kubeconfig", kubeconfig, "-metrics-server", prometheus.Address.ToString(), "-mesh-provider=istio", "-port", "0", "-log-level", "warning"],
            services => services.Configure<Analysis.EngineOptions>(o => o.MinimumInterval = TimeSpan.FromSeconds(1)));
        await OperatorHost.StartAsync(app, Ct);
        var store = app.Services.GetRequiredService<ICanaryStore>();
        traffic.Follow(store);

        // Half a request a second in total, 0.5% of them failing on both sides: at 10% the canary answers one request
        // every 20 seconds, so most of the thresholds' 3-second windows hold none.
        traffic.Set(requestsPerSecond: 0.5, primaryErrorPercent: 0.5, canaryErrorPercent: 0.5);
        await KubectlAsync(["apply", "-f", "-"], Canary(comparison: false));
        await OperatorApp.WaitForPhaseAsync(store, "backend", CanaryPhase.Initialized);
        await SetImageAsync("stefanprodan/podinfo:1.4.1");
        await OperatorApp.WaitForPhaseAsync(store, "backend", CanaryPhase.Failed);
        Assert.Contains(await EventsAsync(), e => e.StartsWith("Halt advancement no values found for istio metric request-success-rate", StringComparison.Ordinal));
        Assert.Contains("Rolling back backend.test failed checks threshold reached 5", await EventsAsync());

        // The same canary and traffic judged against the primary: inconclusive, then advanced (maxInconclusive), promoted.
        await KubectlAsync(["apply", "-f", "-"], Canary(comparison: true));
        await SetImageAsync("stefanprodan/podinfo:1.4.2");
        var promoted = await OperatorApp.WaitForPhaseAsync(store, "backend", CanaryPhase.Succeeded);
        Assert.Contains(await EventsAsync(), e => e.StartsWith("Advancing backend.test after 2 intervals without a verdict (maxInconclusive 2)", StringComparison.Ordinal));
        Assert.Equal("sequential", promoted.Metrics!.Single(m => m.Name == "request-success-rate").Method);

        // Three points more errors than the primary (3.5% against 0.5%), with enough requests for the test to see it.
        traffic.Set(requestsPerSecond: 200, primaryErrorPercent: 0.5, canaryErrorPercent: 3.5);
        await SetImageAsync("stefanprodan/podinfo:1.4.3");
        var failed = await OperatorApp.WaitForPhaseAsync(store, "backend", CanaryPhase.Failed);
        Assert.Contains(await EventsAsync(), e => e.StartsWith("Halt backend.test advancement request-success-rate canary failure rate differs from the primary's beyond the margin", StringComparison.Ordinal));
        var verdict = failed.Metrics!.Single(m => m.Name == "request-success-rate");
        Assert.Equal("Fail", verdict.Verdict);
        Assert.True(verdict.Lower > 1, $"failure-rate ratio interval [{verdict.Lower}, {verdict.Upper}]");

        using var client = cluster.CreateClient();
        var primary = await client.AppsV1.ReadNamespacedDeploymentAsync("backend-primary", "test", cancellationToken: Ct);
        Assert.Equal("stefanprodan/podinfo:1.4.2", primary.Spec.Template.Spec.Containers[0].Image);
        traffic.Stop();
        await app.StopAsync(Ct);
    }

    private async Task<List<string>> EventsAsync()
    {
        using var client = cluster.CreateClient();
        var events = await client.CoreV1.ListNamespacedEventAsync("test", fieldSelector: "involvedObject.kind=Canary,involvedObject.name=backend", cancellationToken: Ct);
        return [.. events.Items.Select(e => e.Message)];
    }

    private Task<string> KubectlAsync(params string[] arguments) => Kubectl.RunAsync(kubeconfig, arguments, Ct);

    private Task<string> KubectlAsync(string[] arguments, string stdin) => Kubectl.RunAsync(kubeconfig, arguments, Ct, stdin);

    private Task<string> SetImageAsync(string image) => Kubectl.RunAsync(kubeconfig, ["-n", "test", "set", "image", "deployment/backend", $"podinfod={image}"], Ct);

    // The walkthrough's analysis at a 3s interval: its thresholds, or both builtin metrics judged against the primary.
    private static string Canary(bool comparison) => $$"""
        apiVersion: flagger.app/v1beta1
        kind: Canary
        metadata: {name: backend, namespace: test}
        spec:
          targetRef: {apiVersion: apps/v1, kind: Deployment, name: backend}
          progressDeadlineSeconds: 600
          service: {port: 9898}
          analysis:
            interval: 3s
            threshold: 5
            maxWeight: 50
            stepWeight: 10
        {{(comparison
            ? """
                  maxInconclusive: 2
                  metrics:
                  - {name: request-success-rate, interval: 3s, comparison: {method: sequential}}
              """
            : """
                  metrics:
                  - {name: request-success-rate, threshold: 99, interval: 3s}
              """)}}
        """;

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

    /// <summary>
    /// The backend's requests as Istio counts them: whole requests, split by the canary weight the operator recorded,
    /// failing at each side's rate; served to the Prometheus exporter on every scrape.
    /// </summary>
    private sealed class BackendTraffic : IDisposable
    {
        private readonly Lock gate = new();
        private readonly CancellationTokenSource stop = new();
        private readonly System.Diagnostics.Stopwatch clock = System.Diagnostics.Stopwatch.StartNew();
        private double rate, primaryErrors, canaryErrors, weight, last;
        private double canaryRequests, canaryFailures, primaryRequests, primaryFailures;

        public void Set(double requestsPerSecond, double primaryErrorPercent, double canaryErrorPercent)
        {
            lock (gate)
            {
                Account();
                (rate, primaryErrors, canaryErrors) = (requestsPerSecond, primaryErrorPercent / 100, canaryErrorPercent / 100);
            }
        }

        // Keeps the weight the operator recorded (status.canaryWeight), as the mesh applies it.
        public void Follow(ICanaryStore store) => _ = Task.Run(async () =>
        {
            try
            {
                while (!stop.IsCancellationRequested)
                {
                    var status = (await store.GetCanaryAsync("test", "backend", stop.Token).ConfigureAwait(false))?.Status;
                    lock (gate)
                    {
                        Account();
                        weight = status?.Phase is CanaryPhase.Progressing or CanaryPhase.WaitingPromotion or CanaryPhase.Promoting ? status.CanaryWeight / 100.0 : 0;
                    }

                    await Task.Delay(50, stop.Token).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                // The test is over.
            }
        });

        public void Stop() => stop.Cancel();

        public void Dispose() => stop.Dispose();

        public IEnumerable<WorkloadCounters> Counters()
        {
            lock (gate)
            {
                Account();
                return
                [
                    Whole("backend", canaryRequests, canaryFailures),
                    Whole("backend-primary", primaryRequests, primaryFailures),
                ];
            }
        }

        private static WorkloadCounters Whole(string workload, double requests, double failures) =>
            WorkloadCounters.Empty("test", workload).Add(Math.Floor(requests), 0, 40) with { Failed = Math.Floor(failures) };

        private void Account()
        {
            var now = clock.Elapsed.TotalSeconds;
            var served = rate * (now - last);
            last = now;
            canaryRequests += served * weight;
            canaryFailures += served * weight * canaryErrors;
            primaryRequests += served * (1 - weight);
            primaryFailures += served * (1 - weight) * primaryErrors;
        }
    }
}
