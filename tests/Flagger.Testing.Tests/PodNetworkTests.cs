using Flagger.Testing.Pods;

namespace Flagger.Testing.Tests;

public sealed class PodNetworkTests
{
    [Fact]
    public async Task Attached_middleware_sees_resolved_requests_and_can_answer_them()
    {
        var (cluster, _) = await PodsFixture.StartAsync();
        await using var __ = cluster;
        var seen = new List<ClusterHttpRequest>();
        using var counting = cluster.PodNetwork.Use(async (request, next, ct) =>
        {
            var response = await next(request, ct);
            seen.Add(request);
            return response with { Body = response.Body + "counted\n" };
        });
        using var overriding = cluster.PodNetwork.Use((request, next, ct) =>
            request.PathAndQuery == "/override" ? Task.FromResult(ClusterHttpResponse.Http(418, "teapot\n")) : next(request, ct));

        var podinfo = await cluster.PodNetwork.SendAsync("test", "tester", "GET", "http://podinfo-canary.test.svc:9898/status/500", TestCluster.Ct);
        var teapot = await cluster.PodNetwork.SendAsync("test", "tester", "GET", "podinfo-canary:9898/override", TestCluster.Ct);
        var unresolved = await cluster.PodNetwork.SendAsync("default", "tester", "GET", "http://podinfo-canary:9898/", TestCluster.Ct);

        Assert.Equal(500, podinfo!.StatusCode);
        Assert.EndsWith("counted\n", podinfo.Body);
        Assert.Equal(new ClusterHttpRequest("test", "tester", "GET", "podinfo-canary.test.svc", "test", "podinfo-canary", 9898, "/status/500"), Assert.Single(seen));
        Assert.Equal(418, teapot!.StatusCode);
        Assert.Null(unresolved);
    }

    [Fact]
    public async Task Podinfo_delay_waits_on_the_cluster_clock()
    {
        var (cluster, time) = await PodsFixture.StartAsync();
        await using var _ = cluster;

        // The handler arms its timer before SendAsync returns, so the clock can be moved right away.
        var delayed = cluster.PodNetwork.SendAsync("test", "tester", "GET", "http://podinfo-canary:9898/delay/1", TestCluster.Ct);
        var earlyFinished = delayed.IsCompleted;
        time.Advance(TimeSpan.FromSeconds(1));
        var response = await delayed;

        Assert.False(earlyFinished);
        Assert.Equal(200, response!.StatusCode);
        Assert.Contains("\"delay\": 1", response.Body);
    }
}
