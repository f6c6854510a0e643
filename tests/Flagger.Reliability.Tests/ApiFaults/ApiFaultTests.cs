using Flagger.Reliability.Harness;

namespace Flagger.Reliability.ApiFaults;

/// <summary>
/// Issue 8 item 1, fast variant: the operator against an API server that fails about 10% of its requests (500,
/// 409, 429, timeouts) and drops watches at random, over rollouts of which a known half are faulty revisions.
/// bench/Flagger.Soak runs the same harness with 200 rollouts.
/// </summary>
public sealed class ApiFaultTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Every_rollout_ends_right_when_a_tenth_of_api_requests_fail_and_watches_drop()
    {
        var summary = await ReliabilityRun.RunAsync(
            new ReliabilityRunOptions { Apps = 6, RolloutsPerApp = 2, Seed = 8, FaultRate = 0.10, DropWatches = true },
            new TestOutputWriter(output),
            TestContext.Current.CancellationToken);

        output.WriteLine(summary.Line);
        Assert.Equal(12, summary.Results.Count);
        Assert.Equal(6, summary.Results.Count(r => r.Plan.Faulty));
        Assert.Equal(0, summary.Results.Count(r => r.FalsePromotion));
        Assert.Equal(0, summary.Results.Count(r => r.FalseRollback));
        Assert.Equal(0, summary.Results.Count(r => r.Stuck));
        Assert.True(summary.Results.All(r => r.Correct), summary.Wrong);
        Assert.Empty(summary.FastAdvances);
    }
}
