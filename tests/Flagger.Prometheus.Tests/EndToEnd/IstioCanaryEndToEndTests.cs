using System.Globalization;
using Flagger.Analysis;
using Flagger.Istio;
using Flagger.Model;
using Flagger.Prometheus.Tests.Fixtures;
using Flagger.Providers;
using Flagger.Routing;
using Flagger.Store;
using Flagger.Testing;
using Flagger.Webhooks;
using k8s;
using k8s.Models;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Flagger.Prometheus.Tests.EndToEnd;

/// <summary>
/// The engine drives the real Istio router on the embedded API server, judging each step by the builtin metrics
/// the real Prometheus computes from the exporter's traffic (canary: 90% success, P99 175 ms).
/// </summary>
public sealed class IstioCanaryEndToEndTests(PrometheusServer prometheus)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_healthy_canary_goes_from_0_to_maxWeight_and_back_to_the_primary()
    {
        await using var run = await Run.StartAsync(prometheus, minimumSuccessRate: 85);
        await run.TickUntilAsync(CanaryPhase.Initialized);
        Assert.Equal(TrafficRoutes.AllToPrimary, await run.RoutesAsync());

        run.Workload.SetImage("podinfo:1.4.1");
        await run.TickUntilAsync(CanaryPhase.Succeeded);

        Assert.Equal([0, 10, 20, 30, 40, 50, 0], run.CanaryWeights.Where((w, i) => i == 0 || run.CanaryWeights[i - 1] != w));
        Assert.Equal(TrafficRoutes.AllToPrimary, await run.RoutesAsync());
        Assert.Equal("podinfo:1.4.1", run.Workload.PrimaryTemplate);
        Assert.Contains("Normal Advance podinfo.test canary weight 50", run.Events.Lines);
        Assert.Contains("Normal Promotion completed! Scaling down podinfo.test", run.Events.Lines);
    }

    [Fact]
    public async Task A_canary_below_the_walkthrough_success_rate_is_rolled_back_to_the_primary()
    {
        await using var run = await Run.StartAsync(prometheus, minimumSuccessRate: 99);
        await run.TickUntilAsync(CanaryPhase.Initialized);

        run.Workload.SetImage("podinfo:1.4.2");
        await run.TickUntilAsync(CanaryPhase.Failed);

        Assert.Equal(TrafficRoutes.AllToPrimary, await run.RoutesAsync());
        Assert.Equal("podinfo:1.4.0", run.Workload.PrimaryTemplate);
        Assert.Equal(5, run.Events.Lines.Count(l => l == "Warning Halt podinfo.test advancement success rate 90.00% < 99%"));
        Assert.Contains("Warning Rolling back podinfo.test failed checks threshold reached 5", run.Events.Lines);
    }

    private sealed class Run : IAsyncDisposable
    {
        private readonly EmbeddedCluster cluster;
        private readonly IKubernetes client;
        private readonly ServiceProvider services;
        private readonly FakeTimeProvider clock = new(new DateTimeOffset(2026, 11, 28, 12, 0, 0, TimeSpan.Zero));
        private readonly InMemoryCanaryStore store = new();
        private readonly Canary canary;

        private Run(EmbeddedCluster cluster, Uri prometheus, Canary canary)
        {
            this.cluster = cluster;
            this.canary = canary;
            client = cluster.CreateClient();
            var collection = new ServiceCollection();
            collection.AddSingleton<TimeProvider>(clock);
            collection.AddSingleton<ICanaryStore>(store);
            collection.AddSingleton<ISecretReader>(store);
            collection.AddSingleton<Events.IEventRecorder>(Events);
            collection.AddSingleton<IWebhookClient>(new AcceptingWebhooks());
            collection.AddSingleton(client);
            collection.AddFlaggerEngine(o => o.MetricsServer = prometheus.ToString())
                .AddIstio(o => o.ApiVersion = IstioRouterOptions.V1Alpha3)
                .AddPrometheus()
                .AddProvider<Targets.ITargetController>("Deployment", Workload)
                .AddProvider<IServiceRouter>(FlaggerEngineBuilder.ServiceRouterName, new ReadyServices());
            services = collection.BuildServiceProvider();
            store.Apply(canary);
        }

        public InstantWorkload Workload { get; } = new();

        public RecordingEventRecorder Events { get; } = new();

        /// <summary>The canary weight the VirtualService carried after each tick.</summary>
        public List<int> CanaryWeights { get; } = [];

        public static async Task<Run> StartAsync(PrometheusServer prometheus, double minimumSuccessRate)
        {
            var cluster = await EmbeddedCluster.StartAsync(new EmbeddedClusterOptions { SimulateControllers = false }, Ct);
            using (var setup = cluster.CreateClient())
            {
                await setup.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "test" } }, cancellationToken: Ct);
            }

            return new Run(cluster, prometheus.Address, FlaggerJson.DeserializeCanary(CanaryJson(minimumSuccessRate)));
        }

        public async Task TickUntilAsync(CanaryPhase phase, int maxTicks = 30)
        {
            var engine = services.GetRequiredService<CanaryEngine>();
            for (var tick = 0; tick < maxTicks; tick++)
            {
                clock.Advance(engine.GetInterval(store.Get("test", "podinfo")));
                await engine.TickAsync("test", "podinfo", Ct);
                if (await TryRoutesAsync() is { } routes)
                {
                    CanaryWeights.Add(routes.CanaryWeight);
                }

                if (store.Get("test", "podinfo").Status?.Phase == phase)
                {
                    return;
                }
            }

            throw new InvalidOperationException($"not {phase} after {maxTicks} ticks; events:\n{string.Join("\n", Events.Lines)}");
        }

        public Task<TrafficRoutes> RoutesAsync() => services.GetRequiredKeyedService<IMeshRouter>("istio").GetRoutesAsync(canary, Ct);

        public async ValueTask DisposeAsync()
        {
            await services.DisposeAsync();
            client.Dispose();
            await cluster.DisposeAsync();
        }

        private async Task<TrafficRoutes?> TryRoutesAsync()
        {
            try
            {
                return await RoutesAsync();
            }
            catch (InvalidOperationException)
            {
                return null;
            }
        }

        private static string CanaryJson(double minimumSuccessRate) => $$"""
            {
              "apiVersion": "flagger.app/v1alpha3",
              "kind": "Canary",
              "metadata": { "name": "podinfo", "namespace": "test" },
              "spec": {
                "targetRef": { "apiVersion": "apps/v1", "kind": "Deployment", "name": "podinfo" },
                "progressDeadlineSeconds": 60,
                "service": {
                  "port": 9898,
                  "trafficPolicy": { "tls": { "mode": "DISABLE" } },
                  "gateways": [ "public-gateway.istio-system.svc.cluster.local", "mesh" ],
                  "hosts": [ "app.example.com" ]
                },
                "canaryAnalysis": {
                  "interval": "1m",
                  "threshold": 5,
                  "maxWeight": 50,
                  "stepWeight": 10,
                  "metrics": [
                    { "name": "request-success-rate", "threshold": {{minimumSuccessRate.ToString(CultureInfo.InvariantCulture)}}, "interval": "1m" },
                    { "name": "request-duration", "threshold": 500, "interval": "30s" }
                  ],
                  "webhooks": [ { "name": "load-test", "url": "http://flagger-loadtester.test/", "timeout": "5s" } ]
                }
              }
            }
            """;
    }
}
