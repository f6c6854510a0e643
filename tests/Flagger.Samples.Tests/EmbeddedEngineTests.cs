using EmbeddedEngine;
using Flagger.Model;

namespace Flagger.Samples;

public sealed class EmbeddedEngineTests
{
    [Fact]
    public async Task A_pipeline_initialises_promotes_a_healthy_release_and_rolls_back_a_faulty_one()
    {
        var output = new StringWriter();
        using var analysis = new ReleaseAnalysis(output);
        var ct = TestContext.Current.CancellationToken;

        Assert.Equal(CanaryPhase.Initialized, await analysis.ReleaseAsync("1.0.0", 0, ct));
        Assert.Equal(CanaryPhase.Succeeded, await analysis.ReleaseAsync("1.1.0", 0.2, ct));
        Assert.Equal("1.1.0", analysis.Primary);
        Assert.Equal(CanaryPhase.Failed, await analysis.ReleaseAsync("1.2.0", 12, ct));
        Assert.Equal("1.1.0", analysis.Primary);

        var log = output.ToString();
        Assert.Contains("Advance checkout.shop canary weight 50", log, StringComparison.Ordinal);
        Assert.Contains("Promotion completed! Scaling down checkout.shop", log, StringComparison.Ordinal);
        Assert.Contains("Halt checkout.shop advancement error-rate 12.00 > 1", log, StringComparison.Ordinal);
        Assert.Contains("Rolling back checkout.shop failed checks threshold reached 2", log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_release_that_is_the_primary_already_is_not_analysed_again()
    {
        using var analysis = new ReleaseAnalysis(TextWriter.Null);
        var ct = TestContext.Current.CancellationToken;
        await analysis.ReleaseAsync("1.0.0", 0, ct);
        await analysis.ReleaseAsync("1.1.0", 0, ct);

        // The same version again: no new revision, so the canary stays Succeeded without a new analysis.
        Assert.Equal(CanaryPhase.Succeeded, await analysis.ReleaseAsync("1.1.0", 50, ct));
        Assert.Equal("1.1.0", analysis.Primary);
    }
}
