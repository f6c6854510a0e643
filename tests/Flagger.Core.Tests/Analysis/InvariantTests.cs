using CsCheck;
using Flagger.Fakes;
using Flagger.Model;

namespace Flagger.Analysis;

/// <summary>Properties that hold for any step size, threshold and sequence of passing and failing checks.</summary>
public sealed class InvariantTests
{
    private static readonly Gen<(int Step, int Max, int Threshold, bool[] Checks)> Runs =
        from step in Gen.Int[1, 50]
        from max in Gen.Int[step, 100]
        from threshold in Gen.Int[1, 5]
        from checks in Gen.Bool.Array[30]
        select (step, max, threshold, checks);

    [Fact]
    public async Task Rollouts_keep_their_invariants()
    {
        await Runs.SampleAsync(async run =>
        {
            using var harness = new CanaryHarness(Walkthrough.Canary(a => a with { StepWeight = run.Step, MaxWeight = run.Max, Threshold = run.Threshold }));
            await harness.TickUntilAsync(CanaryPhase.Initialized);
            harness.Workload.SetImage("v2");
            var maxSeen = 0;
            foreach (var pass in run.Checks)
            {
                harness.Metrics.SuccessRate = pass ? 100 : 10;
                await harness.TickAsync();
                maxSeen = Math.Max(maxSeen, harness.Status.FailedChecks);
                if (harness.Status.Phase is CanaryPhase.Succeeded or CanaryPhase.Failed)
                {
                    break;
                }
            }

            // Weights always sum to 100, and the canary never gets more than maxWeight before promotion.
            Assert.All(harness.Mesh.History, r => Assert.Equal(100, r.PrimaryWeight + r.CanaryWeight));
            Assert.All(harness.Mesh.History, r => Assert.True(r.CanaryWeight <= run.Max, $"weight {r.CanaryWeight} > max {run.Max}"));

            // No promotion once failed checks reach the threshold.
            var halts = harness.Recorder.Lines.Count(l => l.StartsWith("Warning Halt", StringComparison.Ordinal));
            if (harness.Workload.Promotions > 0)
            {
                Assert.True(halts < run.Threshold, $"promoted after {halts} failed checks with threshold {run.Threshold}");
            }

            if (harness.Status.Phase == CanaryPhase.Failed)
            {
                Assert.Equal(0, harness.Workload.Promotions);
                Assert.Equal(run.Threshold, halts);

                // A failed revision is not retried until the target changes.
                var events = harness.Recorder.Events.Count;
                await harness.TicksAsync(3);
                Assert.Equal(events, harness.Recorder.Events.Count);
            }
        }, iter: 60);
    }
}
