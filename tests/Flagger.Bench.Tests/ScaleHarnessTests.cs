using System.Text.RegularExpressions;
using Flagger.Scale;

namespace Flagger.Bench;

/// <summary>
/// The CI smoke of the scale harness: five canaries at a 1 s interval, in process. It checks that the harness
/// works end to end and that idle canaries read nothing from the API server; it asserts no speed.
/// </summary>
public sealed partial class ScaleHarnessTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Five_idle_canaries_read_nothing_and_a_failing_revision_is_detected_and_rolled_back()
    {
        var options = ScaleOptions.Parse(["--canaries", "5", "--interval", "1s", "--window", "3s", "--samples", "2"]);
        using var log = new StringWriter();

        var result = await new ScaleRun(options, log).RunAsync(Ct);

        var line = result.Line();
        Assert.Matches(MachineLine(), line);
        Assert.StartsWith("canaries=5 ", line, StringComparison.Ordinal);

        // Every canary ticked in the window (3 s at 1 s: about 15), from the caches alone.
        Assert.True(result.IdleTicks >= 5, $"{result.IdleTicks} ticks in the window; log:\n{log}");
        Assert.Equal(0, result.IdleRequestsByVerb.GetValueOrDefault("get"));
        Assert.Equal(0, result.IdleRequestsByVerb.GetValueOrDefault("list"));
        Assert.Equal(0d, result.IdleReadsPerCanaryTick);

        // Both sampled revisions were seen through the watch and rolled back: every time was measured.
        Assert.Equal(2, result.RevisionDetectMs.Count);
        Assert.DoesNotContain(result.RevisionDetectMs, double.IsNaN);
        Assert.DoesNotContain(result.RollbackMs, double.IsNaN);
        Assert.All(result.RollbackMs, ms => Assert.True(ms >= 0, $"rollback before the failing check: {ms} ms"));
        Assert.True(result.RssMb > 0, "peak RSS read from /proc");
    }

    [Fact]
    public void Flags_parse_as_the_issue_writes_them_and_an_unknown_flag_is_named()
    {
        var options = ScaleOptions.Parse(["--canaries", "1000", "--interval", "10s", "--window", "60s", "--out-of-process"]);

        Assert.Equal((1000, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(60), true), (options.Canaries, options.Interval, options.Window, options.OutOfProcess));
        Assert.Equal("10s", options.IntervalText);
        Assert.Equal("500ms", ScaleOptions.Parse(["--interval", "500ms"]).IntervalText);
        var error = Assert.Throws<ArgumentException>(() => ScaleOptions.Parse(["--canary", "5"]));
        Assert.StartsWith("--canary: unknown flag", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Percentiles_are_nearest_rank()
    {
        double[] sorted = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];

        Assert.Equal(5, TickLag.Percentile(sorted, 50));
        Assert.Equal(10, TickLag.Percentile(sorted, 99));
        Assert.True(double.IsNaN(TickLag.Percentile([], 99)));
    }

    [GeneratedRegex(@"^canaries=\d+ idle_requests_per_canary_tick=\d+\.\d{3} tick_lag_p99_ms=-?\d+\.\d rss_mb=\d+ revision_detect_p50_ms=\d+ rollback_ms=\d+$")]
    private static partial Regex MachineLine();
}
