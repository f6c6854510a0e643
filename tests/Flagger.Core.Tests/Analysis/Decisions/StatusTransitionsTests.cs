using Flagger.Model;
using Flagger.Targets;

namespace Flagger.Analysis.Decisions;

public sealed class StatusTransitionsTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 28, 10, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(CanaryPhase.Initializing, "Unknown", "New Deployment detected, starting initialization.")]
    [InlineData(CanaryPhase.Initialized, "True", "Deployment initialization completed.")]
    [InlineData(CanaryPhase.Waiting, "Unknown", "Waiting for approval.")]
    [InlineData(CanaryPhase.WaitingPromotion, "Unknown", "Waiting for approval.")]
    [InlineData(CanaryPhase.Progressing, "Unknown", "New revision detected, progressing canary analysis.")]
    [InlineData(CanaryPhase.Promoting, "Unknown", "Canary analysis completed, starting primary rolling update.")]
    [InlineData(CanaryPhase.Finalising, "Unknown", "Canary analysis completed, routing all traffic to primary.")]
    [InlineData(CanaryPhase.Succeeded, "True", "Canary analysis completed successfully, promotion finished.")]
    [InlineData(CanaryPhase.Failed, "False", "Canary analysis failed, Deployment scaled to zero.")]
    public void Promoted_condition_follows_the_phase(CanaryPhase phase, string status, string message)
    {
        var next = StatusTransitions.SetPhase(new CanaryStatus(), phase, "Deployment", T0);

        var condition = Assert.Single(next.Conditions!);
        Assert.Equal(("Promoted", status, phase.ToString(), message), (condition.Type, condition.Status, condition.Reason, condition.Message));
    }

    [Fact]
    public void Same_status_keeps_the_condition_transition_time()
    {
        var progressing = StatusTransitions.SetPhase(new CanaryStatus(), CanaryPhase.Progressing, "Deployment", T0);
        var waiting = StatusTransitions.SetPhase(progressing, CanaryPhase.WaitingPromotion, "Deployment", T0.AddMinutes(1));

        Assert.Equal(T0, waiting.Conditions![0].LastTransitionTime);
        Assert.Equal(T0.AddMinutes(1), waiting.Conditions![0].LastUpdateTime);
    }

    [Fact]
    public void Unchanged_status_is_the_same_instance()
    {
        var status = StatusTransitions.SetPhase(new CanaryStatus(), CanaryPhase.Succeeded, "Deployment", T0);

        Assert.Same(status, StatusTransitions.SetPhase(status, CanaryPhase.Succeeded, "Deployment", T0.AddMinutes(5)));
        Assert.Same(status, StatusTransitions.SetWeight(status, 0, T0.AddMinutes(5)));
    }

    [Fact]
    public void Sync_starts_a_run_from_zero_and_records_the_revision()
    {
        var running = new CanaryStatus { Phase = CanaryPhase.Progressing, CanaryWeight = 30, FailedChecks = 2, Iterations = 1, LastPromotedSpec = "p" };

        var synced = StatusTransitions.Sync(running, CanaryPhase.Progressing, new TargetRevision("r2"), "Deployment", T0);

        Assert.Equal((0, 0, 0, "r2", "p"), (synced.CanaryWeight, synced.FailedChecks, synced.Iterations, synced.LastAppliedSpec, synced.LastPromotedSpec));
        Assert.Equal(T0, synced.LastTransitionTime);
    }

    [Fact]
    public void Succeeded_and_initialized_record_what_the_primary_runs()
    {
        var initialized = StatusTransitions.Sync(new CanaryStatus(), CanaryPhase.Initialized, new TargetRevision("r1"), "Deployment", T0);
        Assert.Equal("r1", initialized.LastPromotedSpec);

        var succeeded = StatusTransitions.SetPhase(initialized with { LastAppliedSpec = "r2", CanaryWeight = 50 }, CanaryPhase.Succeeded, "Deployment", T0);
        Assert.Equal(("r2", 0), (succeeded.LastPromotedSpec, succeeded.CanaryWeight));
    }

    [Fact]
    public void Waiting_promotion_keeps_the_weight_being_served()
    {
        var status = new CanaryStatus { Phase = CanaryPhase.Progressing, CanaryWeight = 50 };

        Assert.Equal(50, StatusTransitions.SetPhase(status, CanaryPhase.WaitingPromotion, "Deployment", T0).CanaryWeight);
    }

    [Fact]
    public void Validity_that_has_not_changed_hands_back_the_same_status()
    {
        var valid = StatusTransitions.SetPhase(new CanaryStatus(), CanaryPhase.Initialized, "Deployment", T0);
        var invalid = StatusTransitions.SetValidity(valid, "invalid canary spec: x", T0);

        Assert.Same(valid, StatusTransitions.SetValidity(valid, null, T0.AddMinutes(1)));
        Assert.Same(invalid, StatusTransitions.SetValidity(invalid, "invalid canary spec: x", T0.AddMinutes(1)));
        Assert.NotEqual(valid, invalid);
        var fixedAgain = StatusTransitions.SetValidity(invalid, null, T0.AddMinutes(2));
        Assert.Equal(valid, fixedAgain);
        Assert.DoesNotContain(fixedAgain.Conditions!, c => c.Type == CanaryCondition.ValidType);
    }
}
