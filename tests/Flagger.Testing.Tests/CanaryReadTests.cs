using Flagger.Model;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Time.Testing;

namespace Flagger.Testing.Tests;

public sealed class CanaryReadTests
{
    private const string Canary = """
        apiVersion: flagger.app/v1beta1
        kind: Canary
        metadata:
          name: podinfo
          namespace: test
        spec:
          targetRef:
            apiVersion: apps/v1
            kind: Deployment
            name: podinfo
          service:
            port: 9898
          analysis:
            interval: 1m
            threshold: 5
            maxWeight: 50
            stepWeight: 10
        """;

    [Fact]
    public async Task A_canary_is_read_typed_with_its_status_and_a_missing_one_is_null()
    {
        await using var cluster = await StartWithCanaryAsync();
        await SetPhaseAsync(cluster, CanaryPhase.Progressing, weight: 20);

        var canary = cluster.GetCanary("test", "podinfo");

        Assert.NotNull(canary);
        Assert.Equal(("podinfo", 10, CanaryPhase.Progressing, 20), (canary.Spec.TargetRef!.Name, canary.Spec.Analysis!.StepWeight, canary.Status!.Phase, canary.Status.CanaryWeight));
        Assert.Null(cluster.GetCanary("test", "absent"));
    }

    [Fact]
    public async Task Waiting_for_a_phase_returns_the_canary_once_a_status_write_reaches_it()
    {
        await using var cluster = await StartWithCanaryAsync();
        await SetPhaseAsync(cluster, CanaryPhase.Progressing, weight: 10);

        var wait = cluster.WaitForCanaryPhaseAsync("test", "podinfo", CanaryPhase.Succeeded, TimeSpan.FromMinutes(5), TestCluster.Ct);
        Assert.False(wait.IsCompleted);
        await SetPhaseAsync(cluster, CanaryPhase.Succeeded, weight: 0);

        var succeeded = await wait;
        Assert.Equal(CanaryPhase.Succeeded, succeeded.Status!.Phase);
    }

    [Fact]
    public async Task A_phase_not_reached_times_out_on_the_clusters_clock_naming_the_last_phase()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 16, 14, 0, 0, TimeSpan.Zero));
        await using var cluster = await StartWithCanaryAsync(time);
        await SetPhaseAsync(cluster, CanaryPhase.Progressing, weight: 30);

        var wait = cluster.WaitForCanaryPhaseAsync("test", "podinfo", CanaryPhase.Succeeded, TimeSpan.FromMinutes(5), TestCluster.Ct);
        time.Advance(TimeSpan.FromMinutes(4));
        Assert.False(wait.IsCompleted);
        time.Advance(TimeSpan.FromMinutes(1));

        var error = await Assert.ThrowsAsync<TimeoutException>(() => wait);
        Assert.Equal("canary podinfo.test did not reach Succeeded within 00:05:00: last phase Progressing", error.Message);
    }

    [Fact]
    public async Task Watching_sees_every_status_change_and_ends_when_the_canary_is_deleted()
    {
        await using var cluster = await StartWithCanaryAsync();
        await using var watch = cluster.WatchCanaryAsync("test", "podinfo", TestCluster.Ct).GetAsyncEnumerator(TestCluster.Ct);
        var weights = new List<int?>();
        Assert.True(await watch.MoveNextAsync());
        weights.Add(watch.Current.Status?.CanaryWeight);

        foreach (var weight in new[] { 10, 20, 30 })
        {
            await SetPhaseAsync(cluster, CanaryPhase.Progressing, weight);
            Assert.True(await watch.MoveNextAsync());
            weights.Add(watch.Current.Status?.CanaryWeight);
        }

        using var client = cluster.CreateClient();
        await client.CustomObjects.DeleteNamespacedCustomObjectAsync("flagger.app", "v1beta1", "test", "canaries", "podinfo", cancellationToken: TestCluster.Ct);

        Assert.False(await watch.MoveNextAsync());
        Assert.Equal([null, 10, 20, 30], weights);
    }

    private static async Task<EmbeddedCluster> StartWithCanaryAsync(FakeTimeProvider? time = null)
    {
        var cluster = await TestCluster.StartAsync(time);
        cluster.Apply("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: test\n");
        cluster.Apply(Canary);
        return cluster;
    }

    private static async Task SetPhaseAsync(EmbeddedCluster cluster, CanaryPhase phase, int weight)
    {
        using var client = cluster.CreateClient();
        var patch = new V1Patch($$$"""{"status":{"phase":"{{{phase}}}","canaryWeight":{{{weight}}},"failedChecks":0,"iterations":0}}""", V1Patch.PatchType.MergePatch);
        await client.CustomObjects.PatchNamespacedCustomObjectStatusAsync(patch, "flagger.app", "v1beta1", "test", "canaries", "podinfo", cancellationToken: TestCluster.Ct);
    }
}
