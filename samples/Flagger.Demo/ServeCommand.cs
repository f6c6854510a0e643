using System.Globalization;
using Flagger.Testing;

namespace Flagger.Demo;

/// <summary>
/// <c>serve --kubeconfig PATH [--speed N]</c>: the embedded cluster, the mesh, the load tester and the operator,
/// running until Ctrl-C so that the walkthrough's kubectl commands work against it (<c>export REPO=deploy</c>).
/// <c>--cluster-only</c> serves the cluster alone.
/// </summary>
internal static class ServeCommand
{
    public static async Task<int> RunAsync(DemoOptions options, TextWriter output, CancellationToken cancellationToken)
    {
        var kubeconfig = Path.GetFullPath(options.Kubeconfig!);
        if (options.ClusterOnly)
        {
            var clusterOptions = DemoEnvironment.ClusterOptions(options, new ScaledTimeProvider(options.Speed));
            return await EmbeddedCluster.ServeAsync(kubeconfig, output, clusterOptions, cancellationToken).ConfigureAwait(false);
        }

        await using var environment = await DemoEnvironment.StartAsync(options, output, cancellationToken).ConfigureAwait(false);
        environment.Cluster.WriteKubeconfig(kubeconfig);
        var console = environment.Console;
        console.WriteLine($"Embedded Kubernetes API server listening on {environment.Cluster.BaseAddress}");
        console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Flagger is running on it; simulated time runs {options.Speed:0.#}x faster (interval: 1m takes {60 / options.Speed:0.#}s)."));
        if (environment.Exporter is not null)
        {
            console.WriteLine($"Mesh metrics for {options.Prometheus}: scrape {environment.Exporter} (its rate windows run on the wall clock, so each covers {options.Speed} times more simulated time)");
        }

        if (environment.Prometheus is not null)
        {
            console.WriteLine($"Prometheus scrapes the mesh and answers PromQL in simulated time as prometheus.istio-system:9090 ({environment.Prometheus.Address}).");
        }

        console.WriteLine($"kubeconfig written to {kubeconfig}; try:");
        console.WriteLine($"  export KUBECONFIG={kubeconfig} REPO=deploy");
        console.WriteLine("  kubectl apply -f ${REPO}/artifacts/namespaces/test.yaml");
        console.WriteLine("Press Ctrl-C to stop.");
        try
        {
            await Task.Delay(Timeout.InfiniteTimeSpan, TimeProvider.System, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Ctrl-C: a normal stop.
        }

        return 0;
    }
}
