using Flagger.Testing.Pods;
using Microsoft.Extensions.Time.Testing;

namespace Flagger.Testing.Tests;

public sealed class PodLogTests
{
    private const string FlaggerDeployment = """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: flagger, namespace: istio-system}
        spec:
          selector: {matchLabels: {app: flagger}}
          template:
            metadata: {labels: {app: flagger}}
            spec:
              containers: [{name: flagger, image: ghcr.io/fluxcd/flagger:1.44.0}]
        """;

    private static async Task<(EmbeddedCluster, FakeTimeProvider)> StartWithFlaggerAsync()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 16, 14, 0, 0, TimeSpan.Zero));
        var cluster = await TestCluster.StartAsync(time, crds: false);
        cluster.Apply(FlaggerDeployment);
        await cluster.WaitForControllersAsync(TestCluster.Ct);
        time.Advance(cluster.Options.RolloutDelay);
        await cluster.WaitForControllersAsync(TestCluster.Ct);
        return (cluster, time);
    }

    [Fact]
    public async Task Logs_of_a_deployment_are_the_attached_feed_tailed()
    {
        var (cluster, time) = await StartWithFlaggerAsync();
        await using var _ = cluster;
        using var kubectl = new Kubectl(cluster);
        var feed = new PodLogFeed(time);
        using var attached = cluster.PodLogs.AttachBySelector("istio-system", "app=flagger", feed);
        foreach (var weight in new[] { 5, 10, 15 })
        {
            feed.Append($$"""{"level":"info","msg":"Advance podinfo.test canary weight {{weight}}"}""");
            time.Advance(TimeSpan.FromSeconds(10));
        }

        var all = await kubectl.RunAsync("-n", "istio-system", "logs", "deployment/flagger");
        var tail = await kubectl.RunAsync("-n", "istio-system", "logs", "deployment/flagger", "--tail=2");
        var recent = await kubectl.RunAsync("-n", "istio-system", "logs", "deployment/flagger", "--since=15s", "--timestamps");

        Assert.Equal(3, all.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Equal("""
            {"level":"info","msg":"Advance podinfo.test canary weight 10"}
            {"level":"info","msg":"Advance podinfo.test canary weight 15"}

            """.ReplaceLineEndings("\n"), tail);
        Assert.Equal("""2026-01-16T14:00:21.000000000Z {"level":"info","msg":"Advance podinfo.test canary weight 15"}""" + "\n", recent);
    }

    [Fact]
    public async Task A_pod_without_an_attached_feed_has_an_empty_log()
    {
        var (cluster, _) = await StartWithFlaggerAsync();
        await using var __ = cluster;
        using var kubectl = new Kubectl(cluster);

        var output = await kubectl.RunAsync("-n", "istio-system", "logs", "deployment/flagger", "--tail=100");

        Assert.Equal("", output);
    }

    [Fact]
    public async Task Follow_streams_new_lines_until_kubectl_is_stopped()
    {
        var (cluster, time) = await StartWithFlaggerAsync();
        await using var _ = cluster;
        var feed = new PodLogFeed(time);
        using var attached = cluster.PodLogs.AttachByPodPrefix("istio-system", "flagger-", feed);
        using var writer = feed.CreateWriter();
        await writer.WriteLineAsync("first");

        await using var logs = KubectlProcess.Start(cluster, false, "-n", "istio-system", "logs", "-f", "deployment/flagger");
        await logs.WaitForOutputAsync("first\n");
        await writer.WriteAsync("sec");
        await writer.WriteLineAsync("ond");
        await logs.WaitForOutputAsync("second\n");

        Assert.Equal("first\nsecond\n", logs.Output);
    }

    [Fact]
    public void A_feed_keeps_its_capacity_and_splits_written_text_into_lines()
    {
        var feed = new PodLogFeed(capacity: 2);
        using var writer = feed.CreateWriter();

        writer.Write("a\nb\nc");
        feed.Append("d\ne");

        Assert.Equal(["d", "e"], feed.Snapshot().Select(l => l.Text));
        writer.Write("\n");
        Assert.Equal(["e", "c"], feed.Snapshot().Select(l => l.Text));
    }
}
