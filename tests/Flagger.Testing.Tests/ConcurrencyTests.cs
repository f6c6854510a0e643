using k8s;
using k8s.LeaderElection;
using k8s.LeaderElection.ResourceLock;
using k8s.Models;

namespace Flagger.Testing.Tests;

/// <summary>Optimistic concurrency under contention, and client-go style leader election over Leases.</summary>
public sealed class ConcurrencyTests
{
    [Fact]
    public async Task Concurrent_read_modify_write_with_retry_on_conflict_loses_no_update()
    {
        await using var cluster = await TestCluster.StartAsync();
        using var client = cluster.CreateClient();
        await client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "counter" }, Data = new Dictionary<string, string> { ["n"] = "0" } }, "default", cancellationToken: TestCluster.Ct);

        var conflicts = 0;
        await Parallel.ForAsync(0, 20, TestCluster.Ct, async (_, ct) =>
        {
            while (true)
            {
                var map = await client.CoreV1.ReadNamespacedConfigMapAsync("counter", "default", cancellationToken: ct);
                map.Data["n"] = (int.Parse(map.Data["n"]) + 1).ToString();
                try
                {
                    await client.CoreV1.ReplaceNamespacedConfigMapAsync(map, "counter", "default", cancellationToken: ct);
                    return;
                }
                catch (k8s.Autorest.HttpOperationException e) when ((int)e.Response.StatusCode == 409)
                {
                    Interlocked.Increment(ref conflicts);
                }
            }
        });

        var final = await client.CoreV1.ReadNamespacedConfigMapAsync("counter", "default", cancellationToken: TestCluster.Ct);
        Assert.Equal("20", final.Data["n"]);
    }

    [Fact]
    public async Task LeaderElector_acquires_a_lease()
    {
        await using var cluster = await EmbeddedCluster.StartAsync(TestCluster.Ct);
        using var client = cluster.CreateClient();
        var config = new LeaderElectionConfig(new LeaseLock(client, "istio-system", "flagger", "pod-a"))
        {
            LeaseDuration = TimeSpan.FromSeconds(2),
            RenewDeadline = TimeSpan.FromSeconds(1),
            RetryPeriod = TimeSpan.FromMilliseconds(100),
        };
        using var elector = new LeaderElector(config);
        var leading = new TaskCompletionSource();
        elector.OnStartedLeading += () => leading.TrySetResult();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestCluster.Ct);
        var running = elector.RunUntilLeadershipLostAsync(stop.Token);
        await leading.Task.WaitAsync(TimeSpan.FromSeconds(10), TestCluster.Ct);

        var lease = await client.CoordinationV1.ReadNamespacedLeaseAsync("flagger", "istio-system", cancellationToken: TestCluster.Ct);
        Assert.Equal("pod-a", lease.Spec.HolderIdentity);
        await stop.CancelAsync();
        try
        {
            await running.WaitAsync(TimeSpan.FromSeconds(10), TestCluster.Ct);
        }
        catch (OperationCanceledException)
        {
            // either ending is fine: the elector stops when cancelled
        }
    }
}
