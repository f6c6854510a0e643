namespace Flagger.Testing.Tests;

public sealed class RunTests
{
    [Fact]
    public async Task Run_creates_a_pod_that_starts_running_after_the_rollout_delay()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(new DateTimeOffset(2026, 1, 16, 14, 0, 0, TimeSpan.Zero));
        await using var cluster = await TestCluster.StartAsync(time, crds: false);
        cluster.Apply("apiVersion: v1\nkind: Namespace\nmetadata: {name: test}\n");
        using var kubectl = new Kubectl(cluster);

        var created = await kubectl.RunAsync("-n", "test", "run", "tester", "--image=ghcr.io/stefanprodan/podinfo:6.0.1", "--", "./podinfo", "--port=9898");
        await cluster.WaitForControllersAsync(TestCluster.Ct);
        var before = await kubectl.RunAsync("-n", "test", "get", "pod", "tester", "-o", "jsonpath={.status.phase}");
        time.Advance(cluster.Options.RolloutDelay);
        await cluster.WaitForControllersAsync(TestCluster.Ct);
        var after = await kubectl.RunAsync("-n", "test", "get", "pods");
        var args = await kubectl.RunAsync("-n", "test", "get", "pod", "tester", "-o", "jsonpath={.spec.containers[0].args}");

        Assert.Equal("pod/tester created\n", created);
        Assert.NotEqual("Running", before);
        Assert.Matches(@"tester\s+1/1\s+Running\s+0", after);
        Assert.Equal("""["./podinfo","--port=9898"]""", args);
    }
}
