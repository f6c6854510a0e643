using Flagger.Model;
using Flagger.Targets;

namespace Flagger.Analysis.Decisions;

public sealed class RevisionDecisionsTests
{
    private static readonly Dictionary<string, string> NoConfigs = [];

    [Theory]
    [InlineData(null, null, "a", true)]
    [InlineData("a", "a", "a", false)]
    [InlineData("a", "a", "b", true)]
    [InlineData("bad", "good", "good", false)]
    [InlineData("bad", "good", "bad", false)]
    [InlineData("bad", "good", "fix", true)]
    public void Target_changed_compares_with_last_applied_but_ignores_a_revert_to_the_primary(string? applied, string? promoted, string current, bool expected) =>
        Assert.Equal(expected, RevisionDecisions.HasTargetChanged(
            new CanaryStatus { LastAppliedSpec = applied, LastPromotedSpec = promoted }, new TargetRevision(current, NoConfigs)));

    [Fact]
    public void Dependencies_changed_when_a_config_appears_changes_or_disappears()
    {
        var recorded = new CanaryStatus { TrackedConfigs = new Dictionary<string, string> { ["configmap/a"] = "1" } };
        Assert.False(RevisionDecisions.HaveDependenciesChanged(recorded, new TargetRevision("x", new Dictionary<string, string> { ["configmap/a"] = "1" })));
        Assert.True(RevisionDecisions.HaveDependenciesChanged(recorded, new TargetRevision("x", new Dictionary<string, string> { ["configmap/a"] = "2" })));
        Assert.True(RevisionDecisions.HaveDependenciesChanged(recorded, new TargetRevision("x", NoConfigs)));
        Assert.True(RevisionDecisions.HaveDependenciesChanged(new CanaryStatus(), new TargetRevision("x", new Dictionary<string, string> { ["secret/s"] = "1" })));
        Assert.False(RevisionDecisions.HaveDependenciesChanged(new CanaryStatus(), new TargetRevision("x", NoConfigs)));
    }
}
