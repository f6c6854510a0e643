using System.Diagnostics;
using k8s;
using k8s.Models;

namespace Flagger.Testing.Tests;

/// <summary>Fault injection and request counters, for resilience tests and API-call benchmarks.</summary>
public sealed class FaultInjectionTests
{
    [Theory]
    [InlineData(500, "InternalError")]
    [InlineData(409, "Conflict")]
    [InlineData(429, "TooManyRequests")]
    public async Task Failing_requests_answer_with_the_chosen_status(int code, string reason)
    {
        await using var cluster = await TestCluster.StartAsync();
        using var client = cluster.CreateClient();
        cluster.Faults.FailRequests(1.0, code, r => r.Resource == "configmaps" && r.Verb == "list");

        var status = await TestCluster.FailureAsync(() => client.CoreV1.ListNamespacedConfigMapAsync("default", cancellationToken: TestCluster.Ct));
        Assert.Equal((code, reason), (status.Code, status.Reason));
        // Other requests are unaffected, and Reset clears the rule.
        await client.CoreV1.ListNamespacedSecretAsync("default", cancellationToken: TestCluster.Ct);
        cluster.Faults.Reset();
        await client.CoreV1.ListNamespacedConfigMapAsync("default", cancellationToken: TestCluster.Ct);
    }

    [Fact]
    public async Task A_fraction_of_requests_fail_reproducibly_with_a_seed()
    {
        await using var cluster = await TestCluster.StartAsync();
        using var client = cluster.CreateClient();
        cluster.Faults.FailRequests(0.5);
        var failures = 0;
        for (var i = 0; i < 40; i++)
        {
            try
            {
                await client.CoreV1.ListNamespaceAsync(cancellationToken: TestCluster.Ct);
            }
            catch (k8s.Autorest.HttpOperationException)
            {
                failures++;
            }
        }

        Assert.InRange(failures, 8, 32);
    }

    [Fact]
    public async Task Latency_and_hung_requests_slow_the_client_down()
    {
        await using var cluster = await TestCluster.StartAsync();
        using var client = cluster.CreateClient();
        cluster.Faults.AddLatency(TimeSpan.FromMilliseconds(200), r => r.Resource == "namespaces");
        var watch = Stopwatch.StartNew();
        await client.CoreV1.ListNamespaceAsync(cancellationToken: TestCluster.Ct);
        Assert.True(watch.Elapsed >= TimeSpan.FromMilliseconds(190), $"took {watch.Elapsed}");

        cluster.Faults.TimeOutRequests(1.0, r => r.Resource == "secrets");
        using var giveUp = CancellationTokenSource.CreateLinkedTokenSource(TestCluster.Ct);
        giveUp.CancelAfter(TimeSpan.FromMilliseconds(200));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.CoreV1.ListNamespacedSecretAsync("default", cancellationToken: giveUp.Token));
    }

    [Fact]
    public async Task A_rule_can_single_out_one_client_by_its_user_agent()
    {
        await using var cluster = await TestCluster.StartAsync();
        var partitionedConfig = cluster.CreateClientConfiguration();
        partitionedConfig.UserAgent = "replica-a";
        using var partitioned = new Kubernetes(partitionedConfig);
        using var other = cluster.CreateClient();
        cluster.Faults.FailRequests(1.0, 503, r => r.UserAgent?.StartsWith("replica-a", StringComparison.Ordinal) == true);

        var status = await TestCluster.FailureAsync(() => partitioned.CoreV1.ListNamespaceAsync(cancellationToken: TestCluster.Ct));
        Assert.Equal(503, status.Code);
        await other.CoreV1.ListNamespaceAsync(cancellationToken: TestCluster.Ct);
    }

    [Fact]
    public async Task Requests_are_counted_per_verb_and_resource()
    {
        await using var cluster = await TestCluster.StartAsync();
        using var client = cluster.CreateClient();
        cluster.Requests.Reset();
        await client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "a" } }, "default", cancellationToken: TestCluster.Ct);
        await client.CoreV1.ReadNamespacedConfigMapAsync("a", "default", cancellationToken: TestCluster.Ct);
        await client.CoreV1.ReadNamespacedConfigMapAsync("a", "default", cancellationToken: TestCluster.Ct);
        await client.CoreV1.ListNamespacedConfigMapAsync("default", cancellationToken: TestCluster.Ct);
        await client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch("{}", V1Patch.PatchType.MergePatch), "a", "default", cancellationToken: TestCluster.Ct);

        Assert.Equal(2, cluster.Requests["get"]);
        Assert.Equal(2, cluster.Requests.Count("get", "configmaps"));
        Assert.Equal(1, cluster.Requests.Count("create", "configmaps"));
        Assert.Equal(1, cluster.Requests["list"]);
        Assert.Equal(1, cluster.Requests["patch"]);
        Assert.Equal(5, cluster.Requests.Total);
    }
}
