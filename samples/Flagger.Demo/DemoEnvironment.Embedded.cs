using Flagger.Hosting.Logging;
using Flagger.Testing;
using Flagger.Testing.Pods;
using Flagger.Testing.Prometheus;
using Flagger.Testing.Simulation;

namespace Flagger.Demo;

/// <summary>What the embedded cluster adds for the demo: the image catalogue, a started Prometheus, the load tester's pod log.</summary>
internal sealed partial class DemoEnvironment
{
    /// <summary>The fastest clock the started Prometheus can follow (a scrape every 10 simulated seconds at most).</summary>
    internal const double MaxPrometheusSpeed = 50;

    /// <summary>
    /// The load tester logs to its pods' log (<c>kubectl -n test logs deployment/flagger-loadtester</c>), where
    /// <c>logCmdOutput: "true"</c> puts a command's output, and not to the demo's console.
    /// </summary>
    private void LoadTesterLog(ILoggingBuilder logging)
    {
        var feed = new PodLogFeed(Time);
        var attached = Cluster.PodLogs.AttachBySelector("test", "app=flagger-loadtester", feed);
        stops.Add(() => { attached.Dispose(); return ValueTask.CompletedTask; });
        logging.ClearProviders().AddFlaggerJsonWriter(feed.CreateWriter(), Time).AddFilter("Flagger.LoadTester", LogLevel.Information);
    }

    /// <summary>
    /// Service <c>flagger</c> in the operator's namespace, port 8080, reaches its <c>/metrics</c>, <c>/healthz</c> and
    /// <c>/readyz</c>, as the Helm chart's Service does.
    /// </summary>
    private void ServeOperatorEndpoints(DemoOptions options, Uri address)
    {
        Cluster.Apply($$"""
            apiVersion: v1
            kind: Service
            metadata:
              name: flagger
              namespace: {{options.OperatorNamespace}}
              labels: {app: flagger}
            spec:
              selector: {app: flagger}
              ports: [{name: http, port: 8080, targetPort: http}]
            """);
        var served = Cluster.Dns.Serve(options.OperatorNamespace, "flagger", address);
        stops.Add(() => { served.Dispose(); return ValueTask.CompletedTask; });
    }

    /// <summary>The cluster on the scaled clock, with the default image catalogue plus <c>--image</c>.</summary>
    internal static EmbeddedClusterOptions ClusterOptions(DemoOptions options, TimeProvider time)
    {
        var images = ImageCatalogue.Default();
        foreach (var image in options.Images)
        {
            images.Add(image);
        }

        return new EmbeddedClusterOptions { TimeProvider = time, Images = images };
    }

    /// <summary>
    /// Without <c>--prometheus</c>, starts the installed <c>prometheus</c> on the mesh's series and serves it as
    /// <c>prometheus.istio-system:9090</c>; without the executable, says so and keeps the simulated metrics.
    /// </summary>
    private async Task StartPrometheusAsync(DemoOptions options, CancellationToken cancellationToken)
    {
        if (options.Prometheus is not null || options.PrometheusOff)
        {
            return;
        }

        if (options.Speed > MaxPrometheusSpeed)
        {
            // A scrape at most every 200 ms of wall time is more than 10 simulated seconds apart past this speed, too
            // few samples for a [1m] window; the simulator keeps the builtin queries exact.
            Console.WriteLine($"at --speed above {MaxPrometheusSpeed} Prometheus cannot scrape often enough: the simulated mesh answers Istio's builtin metrics only (--prometheus off).");
            return;
        }

        if (EmbeddedPrometheus.FindBinary() is null)
        {
            Console.WriteLine("prometheus is not installed: the simulated mesh answers Istio's builtin metrics only (--prometheus off); MetricTemplates with their own PromQL fail.");
            return;
        }

        Prometheus = await EmbeddedPrometheus.StartAsync(Cluster, Mesh, cancellationToken: cancellationToken).ConfigureAwait(false);
        stops.Add(Prometheus.DisposeAsync);
    }
}
