using Flagger.Reliability.Harness;

namespace Flagger.Reliability.Crashes;

/// <summary>
/// Issue 8 item 2, fast variant: the operator is killed at random points of its rollouts (after a random number
/// of API requests, so mid-tick too: cut off from the API server at once, then torn down without a graceful stop)
/// and a new instance is started on the same cluster. Each rollout resumes from the Canary's status and ends right,
/// and the VirtualService history shows the weight never advancing twice within one interval.
/// </summary>
public sealed class CrashTests(ITestOutputHelper output)
{
    // Every one of them happens, packed into the first quarter of the run so that all fall within the rollouts.
    private const int Crashes = 8;

    [Fact]
    public async Task Rollouts_resume_from_status_and_end_right_across_operator_crashes()
    {
        var summary = await ReliabilityRun.RunAsync(
            new ReliabilityRunOptions { Apps = 4, RolloutsPerApp = 2, Seed = 2, Crashes = Crashes, CrashSpread = 0.25 },
            new TestOutputWriter(output),
            TestContext.Current.CancellationToken);

        output.WriteLine(summary.Line);
        Assert.Equal(8, summary.Results.Count);
        Assert.True(summary.CrashesSurvived == Crashes, $"{summary.CrashesSurvived} of the {Crashes} crashes asked for fell within the rollouts: {summary.Line}");
        Assert.Equal(0, summary.Results.Count(r => r.FalsePromotion));
        Assert.Equal(0, summary.Results.Count(r => r.FalseRollback));
        Assert.Equal(0, summary.Results.Count(r => r.Stuck));
        Assert.True(summary.Results.All(r => r.Correct), summary.Wrong);
        Assert.Empty(summary.FastAdvances);
    }
}
