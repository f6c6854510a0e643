using BenchmarkDotNet.Attributes;
using Flagger.Testing;
using k8s;
using k8s.Models;

namespace Flagger.Benchmarks;

/// <summary>The embedded API server through the real KubernetesClient: request cost and watch fan-out.</summary>
[MemoryDiagnoser]
public class ApiServerBenchmarks
{
    private const int Watchers = 50;

    private EmbeddedCluster cluster = null!;
    private IKubernetes client = null!;
    private CancellationTokenSource stop = null!;
    private long[] seen = null!;
    private int generation;

    [GlobalSetup]
    public void Setup() => SetupAsync().GetAwaiter().GetResult();

    [GlobalCleanup]
    public void Cleanup()
    {
        stop.Cancel();
        client.Dispose();
        cluster.DisposeAsync().AsTask().GetAwaiter().GetResult();
        stop.Dispose();
    }

    /// <summary>One GET of a Deployment.</summary>
    [Benchmark]
    public Task<V1Deployment> GetDeployment() => client.AppsV1.ReadNamespacedDeploymentAsync("podinfo", "default");

    /// <summary>One label change seen by all 50 watchers of the namespace's Deployments.</summary>
    [Benchmark]
    public async Task WatchFanOut()
    {
        var mark = ++generation;
        var patch = new V1Patch("{\"metadata\":{\"labels\":{\"mark\":\"m" + mark + "\"}}}", V1Patch.PatchType.MergePatch);
        await client.AppsV1.PatchNamespacedDeploymentAsync(patch, "podinfo", "default");
        while (seen.Any(s => Volatile.Read(ref s) < mark))
        {
            await Task.Yield();
        }
    }

    private async Task SetupAsync()
    {
        cluster = await EmbeddedCluster.StartAsync(new EmbeddedClusterOptions { SimulateControllers = false }, CancellationToken.None);
        client = cluster.CreateClient();
        stop = new CancellationTokenSource();
        seen = new long[Watchers];
        await client.AppsV1.CreateNamespacedDeploymentAsync(
            new V1Deployment
            {
                Metadata = new V1ObjectMeta { Name = "podinfo" },
                Spec = new V1DeploymentSpec
                {
                    Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = "podinfo" } },
                    Template = new V1PodTemplateSpec
                    {
                        Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { ["app"] = "podinfo" } },
                        Spec = new V1PodSpec { Containers = [new V1Container { Name = "podinfod", Image = "quay.io/stefanprodan/podinfo:1.4.0" }] },
                    },
                },
            },
            "default");
        for (var i = 0; i < Watchers; i++)
        {
            var index = i;
            _ = Task.Run(async () =>
            {
                await foreach (var (_, deployment) in client.AppsV1.WatchListNamespacedDeploymentAsync("default", onError: _ => { }, cancellationToken: stop.Token))
                {
                    if (deployment.Metadata.Labels?.TryGetValue("mark", out var mark) == true && long.TryParse(mark.AsSpan(1), out var value))
                    {
                        Volatile.Write(ref seen[index], value);
                    }
                }
            });
        }
    }
}
