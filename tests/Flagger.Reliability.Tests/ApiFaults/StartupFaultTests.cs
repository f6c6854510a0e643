using Flagger.Reliability.Harness;
using Flagger.Testing;

namespace Flagger.Reliability.ApiFaults;

/// <summary>
/// Issue 18 item 14: an operator (re)started while the API server fails some requests must get to its first tick
/// quickly. Its start-up check of the CRDs used to exit on a 409 and to wait out a hung list for the client's whole
/// timeout (one interval here), so in the soak with dense crashes a new operator spent its short life starting.
/// </summary>
public sealed class StartupFaultTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_conflict_on_the_crd_check_is_asked_again_instead_of_ending_the_start()
    {
        await using var cluster = await ReliabilityCluster.StartAsync(30, 1, Ct);
        var lists = 0;
        cluster.Cluster.Faults.FailRequests(1.0, 409, r => IsCheck(r, "canaries") && Interlocked.Increment(ref lists) == 1);

        await using var instance = await OperatorInstance.StartAsync(cluster, "flagger-replica-start", null, null, Ct);

        Assert.True(Volatile.Read(ref lists) >= 2, $"{lists} canary lists: the conflict was not asked again");
    }

    [Fact]
    public async Task A_hung_list_on_the_crd_check_is_given_up_within_its_attempt_timeout_not_the_clients()
    {
        await using var cluster = await ReliabilityCluster.StartAsync(30, 1, Ct);
        var arrivals = new List<DateTimeOffset>();
        var hung = 0;

        // Notes every check list of metrictemplates as it arrives, and never answers the first.
        cluster.Cluster.Faults.FailRequests(0.0, 500, r =>
        {
            if (IsCheck(r, "metrictemplates"))
            {
                lock (arrivals)
                {
                    arrivals.Add(cluster.Now);
                }
            }

            return false;
        });
        cluster.Cluster.Faults.TimeOutRequests(1.0, r => IsCheck(r, "metrictemplates") && Interlocked.Increment(ref hung) == 1);

        await using var instance = await OperatorInstance.StartAsync(cluster, "flagger-replica-start", null, null, Ct);

        DateTimeOffset[] seen;
        lock (arrivals)
        {
            seen = [.. arrivals];
        }

        Assert.True(seen.Length >= 2, $"{seen.Length} check lists of metrictemplates");

        // The client gives up on a hung request after one interval (15 scaled seconds); the check's own attempt
        // timeout is 5 s, then it waits 0.5 s. Scaled time is wall time x30, so the bound leaves ~150 ms of wall slack.
        var retriedAfter = seen[1] - seen[0];
        Assert.True(retriedAfter < TimeSpan.FromSeconds(10), $"the hung list was asked again after {retriedAfter.TotalSeconds:F1} scaled seconds");
    }

    // The start-up check's lists come first: the caches start listing only once the check has passed.
    private static bool IsCheck(ApiRequestInfo r, string resource) =>
        !ReliabilityCluster.IsHarness(r) && r.Resource == resource && r.Verb == "list";
}
