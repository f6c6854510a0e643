using Flagger.Reliability.Harness;
using k8s;

namespace Flagger.Reliability.LeaderLoss;

/// <summary>
/// Issue 8 item 3: two operator replicas with leader election on one cluster, rollouts under way; the leader is
/// killed, or partitioned from the API server (its requests hang) and later healed. The standby takes over
/// within the lease duration (plus one retry period, the elector's polling step), every rollout ends right, and
/// the API server's write log shows no tick driven by both: every write of the old leader lands before the
/// first write of the new one, and a healed old leader writes nothing more. In the third case only the old leader's
/// Lease calls fail while its other writes still land: nothing but its own elector stops it, and it must stop writing
/// before its renew deadline runs out, so before the Lease can pass to the standby.
/// </summary>
public sealed class LeaderLossTests(ITestOutputHelper output)
{
    // Wall clock: KubernetesClient's elector does not take a TimeProvider.
    private static readonly LeaseTimings Lease = new(TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(2), TimeSpan.FromMilliseconds(500));

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private enum Cut
    {
        Kill,
        Partition,
        LeaseOnly,
    }

    [Fact]
    public Task The_standby_takes_over_within_the_lease_when_the_leader_is_killed() => FailOverAsync(Cut.Kill);

    [Fact]
    public Task A_partitioned_leader_stops_before_the_standby_takes_over_and_stays_stopped_once_healed() => FailOverAsync(Cut.Partition);

    [Fact]
    public Task A_leader_whose_lease_calls_alone_fail_stops_writing_before_its_renew_deadline_while_its_other_writes_still_land() => FailOverAsync(Cut.LeaseOnly);

    private async Task FailOverAsync(Cut cut)
    {
        var partition = cut == Cut.Partition;
        await using var cluster = await ReliabilityCluster.StartAsync(30, 3, Ct);
        cluster.CreateApps(3);
        OperatorInstance? leader = null;
        OperatorInstance? standby = null;

        // Attached first: a rule that fails a request hides it from the rules after it.
        var tap = WriteTap.Attach(cluster.Cluster.Faults, r => (leader?.Sent(r) == true && leader.IsCutOff) || (standby?.Sent(r) == true && standby.IsCutOff));
        // The old leader's Lease renewals that the API server accepted, on the tap's clock.
        var renewals = new List<TimeSpan>();
        cluster.Cluster.Faults.FailRequests(0.0, 500, r =>
        {
            if (r.Resource == "leases" && r.Verb is "update" or "create" && leader?.Sent(r) == true && !leader.IsLeaseCutOff && !leader.IsCutOff)
            {
                lock (renewals)
                {
                    renewals.Add(tap.Now);
                }
            }

            return false;
        });
        await using var a = leader = await OperatorInstance.StartAsync(cluster, "flagger-replica-a", Lease, null, Ct);
        await WaitForHolderAsync(cluster, a.Identity);
        await using var b = standby = await OperatorInstance.StartAsync(cluster, "flagger-replica-b", Lease, null, Ct);
        var driver = new RolloutDriver(cluster);
        await driver.WaitForInitializedAsync(Ct);

        var rolling = driver.RunAsync(RolloutDriver.Plan(cluster.Apps, 2, seed: 3), r => output.WriteLine($"{r}"), Ct);
        await cluster.DelayAsync(ReliabilityCluster.Interval * 3, Ct);
        var cutAt = tap.Now;
        switch (cut)
        {
            case Cut.Partition:
                a.Partition(hang: true);
                break;
            case Cut.LeaseOnly:
                a.PartitionLease();
                break;
            default:
                await a.KillAsync();
                break;
        }

        await WaitForHolderAsync(cluster, b.Identity);
        var takeover = tap.Now - cutAt;
        output.WriteLine($"{b.Identity} took over {takeover.TotalSeconds:F2}s after {a.Identity} was {cut}");
        if (partition)
        {
            // The link comes back while the standby leads: the old leader must stay a follower.
            await Task.Delay(Lease.LeaseDuration, Ct);
            a.Heal();
        }

        var results = await rolling;

        Assert.InRange(takeover, TimeSpan.Zero, Lease.LeaseDuration + Lease.RetryPeriod + TimeSpan.FromSeconds(1));
        Assert.True(results.All(r => r.Correct), string.Join(Environment.NewLine, results.Where(r => !r.Correct)));
        var writes = tap.Records.Where(w => w.Served).ToList();
        var byA = writes.Where(w => w.Agent.Contains(a.Identity, StringComparison.Ordinal)).ToList();
        var byB = writes.Where(w => w.Agent.Contains(b.Identity, StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(byA);
        Assert.NotEmpty(byB);
        output.WriteLine($"{a.Identity}: {byA.Count} writes, last at {byA.Max(w => w.At).TotalSeconds:F2}s; {b.Identity}: {byB.Count} writes, first at {byB.Min(w => w.At).TotalSeconds:F2}s");
        Assert.True(
            byA.Max(w => w.At) < byB.Min(w => w.At),
            $"both replicas drove canaries: {a.Identity} wrote {string.Join(", ", byA.Where(w => w.At >= byB.Min(x => x.At)))} after {b.Identity} began");
        if (cut == Cut.LeaseOnly)
        {
            // Its writes reached the API server after the cut (nothing else stopped them), and the last one landed
            // before the elector's deadline: the last accepted renewal, one retry period, then the renew deadline.
            TimeSpan lastRenewal;
            lock (renewals)
            {
                lastRenewal = renewals.Where(t => t <= cutAt).DefaultIfEmpty(TimeSpan.Zero).Max();
            }

            var deadline = lastRenewal + Lease.RetryPeriod + Lease.RenewDeadline;
            var lastWrite = byA.Max(w => w.At);
            output.WriteLine($"{a.Identity}: last renewal at {lastRenewal.TotalSeconds:F2}s, cut at {cutAt.TotalSeconds:F2}s, last write at {lastWrite.TotalSeconds:F2}s, renew deadline {deadline.TotalSeconds:F2}s");
            Assert.Contains(byA, w => w.At > cutAt);
            Assert.True(lastWrite < deadline, $"{a.Identity} wrote at {lastWrite.TotalSeconds:F2}s, after its renew deadline at {deadline.TotalSeconds:F2}s");
        }
    }

    private static async Task WaitForHolderAsync(ReliabilityCluster cluster, string identity)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        deadline.CancelAfter(TimeSpan.FromSeconds(30));
        while (true)
        {
            try
            {
                var lease = await cluster.Client.CoordinationV1.ReadNamespacedLeaseAsync("flagger-leader-election", "kube-system", cancellationToken: deadline.Token);
                if (lease.Spec.HolderIdentity == identity)
                {
                    return;
                }
            }
            catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.NotFound)
            {
                // No Lease yet.
            }

            // The elector works on the wall clock; poll it there.
            await Task.Delay(TimeSpan.FromMilliseconds(25), deadline.Token);
        }
    }
}
