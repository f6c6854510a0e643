using k8s;
using Microsoft.Extensions.Options;

namespace Flagger.Kubernetes.Leadership;

public sealed class LeaseLeadershipTests
{
    private static LeaseLeadership Elector(KubeCluster kube, string identity) => new(kube.Client, Options.Create(new KubernetesOptions
    {
        LeaderElectionNamespace = "kube-system",
        LeaderElectionIdentity = identity,
        LeaseDuration = TimeSpan.FromSeconds(2),
        RenewDeadline = TimeSpan.FromSeconds(1),
        RetryPeriod = TimeSpan.FromMilliseconds(200),
    }));

    [Fact]
    public async Task Two_electors_one_leader_and_the_other_takes_over_when_it_stops()
    {
        await using var kube = await KubeCluster.StartAsync();
        using var a = Elector(kube, "a");
        using var b = Elector(kube, "b");
        using var stopA = CancellationTokenSource.CreateLinkedTokenSource(KubeCluster.Ct);
        using var stopB = CancellationTokenSource.CreateLinkedTokenSource(KubeCluster.Ct);

        var termA = a.AcquireAsync(stopA.Token);
        await termA.WaitAsync(TimeSpan.FromSeconds(10), KubeCluster.Ct);
        var termB = b.AcquireAsync(stopB.Token);
        await Task.Delay(TimeSpan.FromSeconds(1.5), KubeCluster.Ct);
        Assert.False(termB.IsCompleted);
        Assert.True(a.IsLeader);
        Assert.False(b.IsLeader);
        var lease = await kube.Client.CoordinationV1.ReadNamespacedLeaseAsync("flagger-leader-election", "kube-system", cancellationToken: KubeCluster.Ct);
        Assert.Equal("a", lease.Spec.HolderIdentity);

        var tokenA = await termA;
        await stopA.CancelAsync();
        Assert.True(tokenA.IsCancellationRequested);
        await termB.WaitAsync(TimeSpan.FromSeconds(10), KubeCluster.Ct);
        Assert.True(b.IsLeader);
        await stopB.CancelAsync();
    }
}
