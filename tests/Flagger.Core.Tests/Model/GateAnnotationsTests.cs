using Flagger.Model;

namespace Flagger.Tests.Model;

public sealed class GateAnnotationsTests
{
    private const string Revision = "5d4b8c9f7";
    private static readonly DateTimeOffset FailedAt = new(2026, 12, 4, 22, 15, 7, TimeSpan.Zero);

    private static CanaryStatus Running(CanaryPhase phase = CanaryPhase.Progressing) =>
        new() { Phase = phase, LastAppliedSpec = Revision, CanaryWeight = 20, LastTransitionTime = FailedAt.AddMinutes(-5) };

    private static CanaryStatus Failed() => new() { Phase = CanaryPhase.Failed, LastAppliedSpec = Revision, LastTransitionTime = FailedAt };

    private static Dictionary<string, string> Annotations(params (string Key, string Value)[] pairs) =>
        pairs.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);

    [Fact]
    public void No_annotations_set_no_gate()
    {
        Assert.Equal(CanaryGates.None, GateAnnotations.Read(null, Running()));
        Assert.Equal(CanaryGates.None, GateAnnotations.Read(Annotations(("app", "podinfo")), Running()));
    }

    [Theory]
    [InlineData("closed", true)]
    [InlineData(" Closed ", true)]
    [InlineData("open", false)]
    [InlineData("", false)]
    public void Gate_rollout_closed_pauses_in_any_phase(string value, bool closed)
    {
        foreach (var phase in Enum.GetValues<CanaryPhase>())
        {
            Assert.Equal(closed, GateAnnotations.Read(Annotations((GateAnnotations.Rollout, value)), Running(phase)).RolloutClosed);
        }
    }

    [Theory]
    [InlineData(CanaryPhase.Progressing, true)]
    [InlineData(CanaryPhase.Waiting, true)]
    [InlineData(CanaryPhase.WaitingPromotion, true)]
    [InlineData(CanaryPhase.Initialized, false)]
    [InlineData(CanaryPhase.Succeeded, false)]
    [InlineData(CanaryPhase.Failed, false)]
    public void Promote_and_abort_count_while_a_revision_is_under_analysis(CanaryPhase phase, bool counts)
    {
        var gates = GateAnnotations.Read(Annotations((GateAnnotations.Promote, Revision), (GateAnnotations.Abort, Revision)), Running(phase));
        Assert.Equal(counts, gates.PromotionOpen);
        Assert.Equal(counts, gates.AbortRequested);
    }

    [Fact]
    public void Promote_and_abort_left_from_an_earlier_revision_do_not_act_on_the_next()
    {
        var gates = GateAnnotations.Read(Annotations((GateAnnotations.Promote, "older"), (GateAnnotations.Abort, "older")), Running());
        Assert.False(gates.PromotionOpen);
        Assert.False(gates.AbortRequested);
    }

    [Fact]
    public void Promote_needs_a_revision_on_the_status()
    {
        var gates = GateAnnotations.Read(Annotations((GateAnnotations.Promote, Revision)), new CanaryStatus { Phase = CanaryPhase.Progressing });
        Assert.False(gates.PromotionOpen);
    }

    [Theory]
    [InlineData("2026-12-04T22:15:07Z", true)]
    [InlineData("2026-12-04T23:15:07+01:00", true)]
    [InlineData("2026-12-04T22:15:07.000Z", true)]
    [InlineData("2026-12-04T22:15:08Z", false)]
    [InlineData("yesterday", false)]
    public void Retry_counts_only_for_the_failure_it_names(string value, bool counts) =>
        Assert.Equal(counts, GateAnnotations.Read(Annotations((GateAnnotations.Retry, value)), Failed()).RetryRequested);

    [Fact]
    public void Retry_left_behind_does_nothing_once_the_canary_runs_again_or_fails_later()
    {
        var retry = Annotations((GateAnnotations.Retry, GateAnnotations.FailureOf(Failed())!));
        Assert.False(GateAnnotations.Read(retry, Running()).RetryRequested);
        Assert.False(GateAnnotations.Read(retry, Failed() with { LastTransitionTime = FailedAt.AddMinutes(3) }).RetryRequested);
    }

    [Fact]
    public void The_values_the_cli_writes_are_the_ones_read_back()
    {
        Assert.Equal(Revision, GateAnnotations.RevisionOf(Running()));
        Assert.Null(GateAnnotations.RevisionOf(new CanaryStatus()));
        Assert.Equal("2026-12-04T22:15:07Z", GateAnnotations.FailureOf(Failed()));
        Assert.Null(GateAnnotations.FailureOf(Running()));
    }
}
