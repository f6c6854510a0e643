using Flagger.Analysis.Judges;

namespace Flagger.Accuracy;

/// <summary>How a rollout ended.</summary>
internal enum Ending
{
    Promoted,
    RolledBack,
    Held,
}

/// <summary>One rollout's result: how it ended, when (minutes), and the bad requests the canary answered.</summary>
internal readonly record struct RolloutResult(Ending Ending, int Minutes, long BadRequests);

/// <summary>
/// The walkthrough's analysis (interval 1m, stepWeight 10, maxWeight 50, threshold 5) with the verdict rules proposed
/// for the engine: Fail is a failed check and rollback comes at the threshold; Pass advances the weight, and promotion
/// follows a passing interval at maxWeight; Inconclusive holds the weight, and after maxInconclusive of them in a row
/// the step advances as if it had passed.
/// </summary>
internal sealed record RolloutPolicy(int StepWeight = 10, int MaxWeight = 50, int Threshold = 5, int MaxInconclusive = 1, int MaxMinutes = 60)
{
    public RolloutResult Run(Scenario scenario, double requestsPerSecond, IRolloutJudge judge, int seed)
    {
        var random = new Sampling(seed);
        var data = new IntervalData();
        judge.Start();
        var weight = StepWeight;
        int failed = 0, inconclusive = 0;
        long bad = 0;
        for (var minute = 1; minute <= MaxMinutes; minute++)
        {
            data.Weight = weight / 100.0;
            for (var s = 0; s < Traffic.SlotsPerInterval; s++)
            {
                var at = minute - 1 + (s / (double)Traffic.SlotsPerInterval);
                var perSlot = requestsPerSecond * scenario.Load(at) * Traffic.SlotSeconds;
                Traffic.Draw(data.Canary[s], scenario.Canary(at), perSlot * data.Weight, random);
                Traffic.Draw(data.Primary[s], scenario.Primary(at), perSlot * (1 - data.Weight), random);
                bad += data.Canary[s].Failures + data.Canary[s].Slow;
            }

            var advance = false;
            switch (judge.Judge(data))
            {
                case Verdict.Fail:
                    inconclusive = 0;
                    if (++failed >= Threshold)
                    {
                        return new RolloutResult(Ending.RolledBack, minute, bad);
                    }

                    break;
                case Verdict.Pass:
                    inconclusive = 0;
                    advance = true;
                    break;
                default:
                    advance = ++inconclusive >= MaxInconclusive;
                    if (advance)
                    {
                        inconclusive = 0;
                    }

                    break;
            }

            if (advance)
            {
                if (weight >= MaxWeight)
                {
                    return new RolloutResult(Ending.Promoted, minute, bad);
                }

                weight += StepWeight;
            }
        }

        return new RolloutResult(Ending.Held, MaxMinutes, bad);
    }
}
