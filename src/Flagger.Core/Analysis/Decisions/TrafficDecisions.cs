using Flagger.Model;
using Flagger.Routing;

namespace Flagger.Analysis.Decisions;

/// <summary>The next traffic move of each strategy, given what the router applies now.</summary>
internal static class TrafficDecisions
{
    /// <summary>
    /// The canary weight after one more step: the next stepWeights entry, or the current weight plus stepWeight,
    /// never above maxWeight (Flagger overshoots it when maxWeight is not a multiple of the step).
    /// </summary>
    public static int NextCanaryWeight(CanaryAnalysis? analysis, int canaryWeight)
    {
        var maxWeight = analysis.GetMaxWeight();
        int next;
        if (analysis?.StepWeights is { Count: > 0 } steps)
        {
            next = steps.FirstOrDefault(w => w > canaryWeight, maxWeight);
        }
        else
        {
            next = canaryWeight + Math.Max(0, analysis?.StepWeight ?? 0);
        }

        return Math.Clamp(next, canaryWeight, Math.Min(maxWeight, AnalysisDefaults.TotalWeight));
    }

    /// <summary>
    /// Whether this tick may run the analysis and move traffic: not when the status last changed less than one
    /// interval ago, since that change was this interval's step. Ticks come sooner than the interval when an
    /// operator restarts or a new leader takes over (their schedules tick at once) or a target change wakes the
    /// schedule; each must not advance the weight a second time within one interval. A tenth of the interval is
    /// allowed for timer and clock granularity (a scaled clock makes a millisecond early look like seconds).
    /// </summary>
    public static bool IsStepDue(CanaryStatus status, TimeSpan interval, DateTimeOffset now) =>
        status.LastTransitionTime is not { } last || now - last >= interval - (interval / 10);

    /// <summary>
    /// True when the router serves a canary weight the status does not record: the last step was applied but the
    /// status write recording it never landed (the operator died between the two writes, or the write failed).
    /// Its time is unknown, so the step must not be taken again until it is recorded and an interval has passed.
    /// Only for progressive weights; iterations and mirroring do not track the weight.
    /// </summary>
    public static bool IsUnrecordedStep(CanaryStatus status, TrafficRoutes routes, DeploymentStrategy strategy) =>
        strategy == DeploymentStrategy.Canary && !routes.Mirrored && routes.CanaryWeight != status.CanaryWeight;

    /// <summary>What the canary strategy does on a successful tick.</summary>
    public static CanaryMove NextCanaryMove(CanaryAnalysis? analysis, TrafficRoutes routes)
    {
        if (routes.CanaryWeight >= analysis.GetMaxWeight())
        {
            return CanaryMove.Promote;
        }

        if (analysis is { Mirror: true } && routes.CanaryWeight == 0 && !routes.Mirrored)
        {
            return CanaryMove.Mirror;
        }

        return CanaryMove.IncreaseWeight;
    }

    /// <summary>The split once the canary weight becomes <paramref name="canaryWeight"/>; weights always sum to 100.</summary>
    public static TrafficRoutes WithCanaryWeight(int canaryWeight) =>
        new(AnalysisDefaults.TotalWeight - canaryWeight, canaryWeight);

    /// <summary>The split after one promotion step back to the primary (all at once without stepWeightPromotion).</summary>
    public static TrafficRoutes NextPromotionRoutes(CanaryAnalysis? analysis, TrafficRoutes routes)
    {
        var step = analysis?.StepWeightPromotion ?? 0;
        if (step <= 0)
        {
            return TrafficRoutes.AllToPrimary;
        }

        var primary = Math.Min(AnalysisDefaults.TotalWeight, routes.PrimaryWeight + step);
        return new TrafficRoutes(primary, AnalysisDefaults.TotalWeight - primary);
    }

    /// <summary>What Blue/Green does with <paramref name="done"/> of <paramref name="iterations"/> completed.</summary>
    public static IterationMove NextBlueGreenMove(int iterations, int done) => done switch
    {
        _ when done < iterations => IterationMove.Iterate,
        _ when done == iterations => IterationMove.RouteToCanary,
        _ => IterationMove.Promote,
    };

    /// <summary>What A/B testing does with <paramref name="done"/> of <paramref name="iterations"/> completed.</summary>
    public static IterationMove NextABMove(int iterations, int done) =>
        done < iterations ? IterationMove.Iterate : IterationMove.Promote;
}

/// <summary>Moves of the canary (weights) strategy.</summary>
internal enum CanaryMove
{
    /// <summary>Mirror traffic for one tick before the first weight step.</summary>
    Mirror,

    /// <summary>Raise the canary weight by one step.</summary>
    IncreaseWeight,

    /// <summary>Max weight reached: promote.</summary>
    Promote,
}

/// <summary>Moves of the iteration strategies.</summary>
internal enum IterationMove
{
    /// <summary>Count one more iteration.</summary>
    Iterate,

    /// <summary>Blue/Green: send all traffic to the canary before promotion.</summary>
    RouteToCanary,

    /// <summary>Promote.</summary>
    Promote,
}
