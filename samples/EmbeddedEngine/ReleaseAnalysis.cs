using EmbeddedEngine.Ports;
using Flagger.Analysis;
using Flagger.Model;
using Flagger.Providers;
using Flagger.Routing;
using Flagger.Store;
using Flagger.Targets;
using Flagger.Webhooks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace EmbeddedEngine;

/// <summary>
/// One canary analysis inside a release pipeline: the engine with the pipeline's own ports, no cluster and no
/// operator. The pipeline drives the ticks itself and lends the engine its clock, so an analysis of ten one-minute
/// intervals is decided as fast as the telemetry answers.
/// </summary>
internal sealed class ReleaseAnalysis : IDisposable
{
    private const string Namespace = "shop";
    private const string Name = "checkout";

    private readonly ServiceProvider services;
    private readonly ReleaseStore store = new();
    private readonly Release release = new();
    private readonly FakeTimeProvider clock = new(new DateTimeOffset(2026, 11, 28, 12, 0, 0, TimeSpan.Zero));
    private readonly CanaryEngine engine;
    private readonly TextWriter output;

    public ReleaseAnalysis(TextWriter output)
    {
        this.output = output;
        var log = new PipelineLog(output);
        var traffic = new ReleaseTraffic(release);
        var collection = new ServiceCollection()
            .AddSingleton<TimeProvider>(clock)
            .AddSingleton<ICanaryStore>(store)
            .AddSingleton<ISecretReader>(store)
            .AddSingleton<Flagger.Events.IEventRecorder>(log)
            .AddSingleton<IWebhookClient>(log);
        collection.AddFlaggerEngine(o => o.MeshProvider = "pipeline")
            .AddProvider<IMeshRouter>("pipeline", traffic)
            .AddProvider<IServiceRouter>(FlaggerEngineBuilder.ServiceRouterName, traffic)
            .AddProvider<ITargetController>("Deployment", new ReleaseTarget(release))
            .AddProvider<Flagger.Metrics.IMetricsProviderFactory>("pipeline", new ReleaseTelemetry(release));
        services = collection.BuildServiceProvider();
        engine = services.GetRequiredService<CanaryEngine>();
        store.Apply(FlaggerJson.DeserializeMetricTemplate(ErrorRateTemplate));
        store.Apply(FlaggerJson.DeserializeCanary(CheckoutCanary));
    }

    public string Primary => release.Primary;

    /// <summary>Deploys <paramref name="version"/> as the candidate and ticks until the analysis ends.</summary>
    /// <returns>The phase the canary ended in: Initialized, Succeeded or Failed.</returns>
    public async Task<CanaryPhase> ReleaseAsync(string version, double errorPercent, CancellationToken cancellationToken)
    {
        output.WriteLine($"release {version} ({errorPercent}% errors), primary {(release.Primary.Length == 0 ? "none" : release.Primary)}");
        release.Candidate = version;
        release.CandidateErrorPercent = errorPercent;
        for (var tick = 0; tick < 100; tick++)
        {
            var canary = await store.GetCanaryAsync(Namespace, Name, cancellationToken) ?? throw new InvalidOperationException("the Canary is gone");
            clock.Advance(engine.GetInterval(canary));
            var report = await engine.TickAsync(Namespace, Name, cancellationToken);
            if (report.Phase is CanaryPhase.Initialized or CanaryPhase.Succeeded or CanaryPhase.Failed)
            {
                output.WriteLine($"  => {report.Phase}, primary {release.Primary}");
                return report.Phase.Value;
            }
        }

        throw new InvalidOperationException($"release {version}: the analysis did not end within 100 ticks");
    }

    public void Dispose() => services.Dispose();

    // The pipeline's canary: ten 1-minute checks at most, 20% more traffic per check up to half, rolled back after
    // two failed checks of an error rate above 1%.
    private const string CheckoutCanary = """
        {
          "apiVersion": "flagger.app/v1beta1",
          "kind": "Canary",
          "metadata": { "name": "checkout", "namespace": "shop" },
          "spec": {
            "targetRef": { "apiVersion": "apps/v1", "kind": "Deployment", "name": "checkout" },
            "service": { "port": 8080 },
            "analysis": {
              "interval": "1m",
              "threshold": 2,
              "maxWeight": 50,
              "stepWeight": 20,
              "metrics": [
                { "name": "error-rate", "templateRef": { "name": "error-rate" }, "thresholdRange": { "max": 1 }, "interval": "1m" }
              ]
            }
          }
        }
        """;

    private const string ErrorRateTemplate = """
        {
          "apiVersion": "flagger.app/v1beta1",
          "kind": "MetricTemplate",
          "metadata": { "name": "error-rate", "namespace": "shop" },
          "spec": { "provider": { "type": "pipeline" }, "query": "error_rate" }
        }
        """;
}
