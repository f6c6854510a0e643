using System.Text.RegularExpressions;
using Flagger.Scale;
using k8s;

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

        // After the restart every canary ticked again, and one advancing tick was counted (it writes at least its status).
        Assert.False(double.IsNaN(result.RestartAllTickingSeconds), $"restart not measured; log:\n{log}");
        Assert.True(result.AdvancingTickRequests >= 1, $"advancing tick requests {result.AdvancingTickRequests}; log:\n{log}");
        Assert.Matches(@" restart_all_ticking_s=\d+\.\d advancing_tick_requests=\d+$", line);
    }

    [Fact]
    public void The_machine_line_carries_the_restart_and_advancing_tick_figures_and_the_unrelated_secrets_when_asked_for()
    {
        var result = new ScaleResult
        {
            Canaries = 10_000,
            IdleRequestsPerCanaryTick = 0,
            IdleReadsPerCanaryTick = 0,
            IdleRequestsByVerb = new Dictionary<string, long>(),
            IdleTicks = 60_000,
            TickLagP50Ms = 1.3,
            TickLagP99Ms = 39.6,
            CpuCores = 0.1,
            RssMb = 659,
            IdleRssMb = 130,
            StartToFirstTickMs = 400,
            SettleSeconds = 72.9,
            RevisionDetectMs = [25],
            RollbackMs = [9],
            RestartAllTickingSeconds = 12.34,
            AdvancingTickRequests = 3,
        };

        Assert.Matches(MachineLine(), result.Line());
        Assert.EndsWith(" restart_all_ticking_s=12.3 advancing_tick_requests=3", result.Line(), StringComparison.Ordinal);
        Assert.EndsWith(" advancing_tick_requests=3 unrelated_secrets=20000 secret_kb=100", (result with { UnrelatedSecrets = 20_000, SecretSize = 100 * 1024 }).Line(), StringComparison.Ordinal);
    }

    [Fact]
    public void Unrelated_secrets_are_sized_in_binary_units_and_need_the_out_of_process_server()
    {
        var options = ScaleOptions.Parse(["--unrelated-secrets", "20000", "--secret-size", "100KB", "--out-of-process"]);

        Assert.Equal((20_000, 102_400), (options.UnrelatedSecrets, options.SecretSize));
        Assert.Equal(1024 * 1024, ScaleOptions.ParseSize("1MB"));
        var error = Assert.Throws<ArgumentException>(() => ScaleOptions.Parse(["--unrelated-secrets", "10"]));
        Assert.StartsWith("--unrelated-secrets: needs --out-of-process", error.Message, StringComparison.Ordinal);
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
    public async Task The_out_of_process_API_server_holds_the_unrelated_secrets_when_it_says_ready()
    {
        var options = ScaleOptions.Parse(["--unrelated-secrets", "3", "--secret-size", "2KB", "--out-of-process"]);

        await using var server = await ChildProcessApiServer.StartAsync(options, Ct);
        using var client = new k8s.Kubernetes(k8s.KubernetesClientConfiguration.BuildConfigFromConfigFile(server.Kubeconfig));
        var secrets = await client.CoreV1.ListNamespacedSecretAsync("unrelated", cancellationToken: Ct);

        Assert.Equal(3, secrets.Items.Count);
        Assert.All(secrets.Items, s => Assert.Equal(2048, s.Data["blob"].Length));
    }

    [Fact]
    public void Percentiles_are_nearest_rank()
    {
        double[] sorted = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];

        Assert.Equal(5, TickLag.Percentile(sorted, 50));
        Assert.Equal(10, TickLag.Percentile(sorted, 99));
        Assert.True(double.IsNaN(TickLag.Percentile([], 99)));
    }

    [GeneratedRegex(@"^canaries=\d+ idle_requests_per_canary_tick=\d+\.\d{3} tick_lag_p99_ms=-?\d+\.\d rss_mb=\d+ revision_detect_p50_ms=\d+ rollback_ms=\d+ restart_all_ticking_s=\d+\.\d advancing_tick_requests=\d+( unrelated_secrets=\d+ secret_kb=\d+)?$")]
    private static partial Regex MachineLine();
}
