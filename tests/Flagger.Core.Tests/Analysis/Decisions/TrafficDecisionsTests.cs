using Flagger.Model;
using Flagger.Routing;

namespace Flagger.Analysis.Decisions;

public sealed class TrafficDecisionsTests
{
    [Theory]
    [InlineData(10, 50, 0, 10)]
    [InlineData(10, 50, 40, 50)]
    [InlineData(20, 50, 40, 50)]
    [InlineData(30, 0, 90, 100)]
    [InlineData(5, 100, 100, 100)]
    public void Next_weight_adds_one_step_up_to_max_weight(int step, int max, int current, int expected) =>
        Assert.Equal(expected, TrafficDecisions.NextCanaryWeight(new CanaryAnalysis { StepWeight = step, MaxWeight = max }, current));

    [Theory]
    [InlineData(0, 1)]
    [InlineData(1, 2)]
    [InlineData(2, 10)]
    [InlineData(10, 80)]
    [InlineData(5, 10)]
    public void Next_weight_takes_the_next_listed_step(int current, int expected) =>
        Assert.Equal(expected, TrafficDecisions.NextCanaryWeight(new CanaryAnalysis { StepWeights = [1, 2, 10, 80] }, current));

    [Theory]
    [InlineData(null, true)]
    [InlineData(60, true)]
    [InlineData(55, true)]
    [InlineData(53, false)]
    [InlineData(5, false)]
    public void A_step_is_due_once_an_interval_has_passed_since_the_last_status_change(int? secondsAgo, bool due)
    {
        var now = new DateTimeOffset(2026, 11, 29, 0, 0, 0, TimeSpan.Zero);
        var status = new CanaryStatus { LastTransitionTime = secondsAgo is { } s ? now.AddSeconds(-s) : null };

        Assert.Equal(due, TrafficDecisions.IsStepDue(status, TimeSpan.FromMinutes(1), now));
    }

    [Theory]
    [InlineData(DeploymentStrategy.Canary, 25, 25, false, false)]
    [InlineData(DeploymentStrategy.Canary, 0, 25, false, true)]
    [InlineData(DeploymentStrategy.Canary, 0, 0, true, false)]
    [InlineData(DeploymentStrategy.BlueGreen, 0, 100, false, false)]
    public void A_weight_the_router_serves_but_the_status_lacks_is_an_unrecorded_step(DeploymentStrategy strategy, int recorded, int served, bool mirrored, bool unrecorded) =>
        Assert.Equal(unrecorded, TrafficDecisions.IsUnrecordedStep(new CanaryStatus { CanaryWeight = recorded }, TrafficDecisions.WithCanaryWeight(served) with { Mirrored = mirrored }, strategy));

    [Fact]
    public void Max_weight_of_step_weights_is_their_last_entry_capped_at_100()
    {
        Assert.Equal(80, new CanaryAnalysis { StepWeights = [1, 2, 10, 80], MaxWeight = 30 }.GetMaxWeight());
        Assert.Equal(100, new CanaryAnalysis { StepWeights = [50, 120] }.GetMaxWeight());
    }

    [Theory]
    [InlineData(0, false, false, "IncreaseWeight")]
    [InlineData(0, false, true, "Mirror")]
    [InlineData(0, true, true, "IncreaseWeight")]
    [InlineData(50, false, false, "Promote")]
    [InlineData(40, false, true, "IncreaseWeight")]
    public void Canary_move_depends_on_weight_and_mirroring(int weight, bool mirrored, bool mirror, string expected) =>
        Assert.Equal(expected, $"{TrafficDecisions.NextCanaryMove(
            new CanaryAnalysis { StepWeight = 10, MaxWeight = 50, Mirror = mirror },
            new TrafficRoutes(100 - weight, weight, mirrored))}");

    [Theory]
    [InlineData(0, 50, 100)]
    [InlineData(25, 50, 75)]
    [InlineData(25, 80, 100)]
    public void Promotion_moves_traffic_back_by_step_or_all_at_once(int step, int primaryBefore, int primaryAfter) =>
        Assert.Equal(new TrafficRoutes(primaryAfter, 100 - primaryAfter), TrafficDecisions.NextPromotionRoutes(
            new CanaryAnalysis { StepWeightPromotion = step }, new TrafficRoutes(primaryBefore, 100 - primaryBefore)));

    [Theory]
    [InlineData(3, 0, "Iterate")]
    [InlineData(3, 2, "Iterate")]
    [InlineData(3, 3, "RouteToCanary")]
    [InlineData(3, 4, "Promote")]
    public void Blue_green_iterates_routes_to_canary_then_promotes(int iterations, int done, string expected) =>
        Assert.Equal(expected, $"{TrafficDecisions.NextBlueGreenMove(iterations, done)}");

    [Theory]
    [InlineData(2, 0, "Iterate")]
    [InlineData(2, 2, "Promote")]
    public void AB_iterates_then_promotes(int iterations, int done, string expected) =>
        Assert.Equal(expected, $"{TrafficDecisions.NextABMove(iterations, done)}");
}
