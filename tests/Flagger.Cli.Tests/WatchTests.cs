using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Flagger.Cli.Tests.Fixtures;
using Flagger.Model;
using Flagger.Testing.Receivers;

namespace Flagger.Cli.Tests;

/// <summary>
/// <c>get -w</c> as a person sees it in a terminal (tmux: a real pseudo-terminal, its screen read back as text) and as a
/// CI pipeline uses it with <c>--exit-on-complete</c> (exit code 0 on Succeeded, 1 on Failed).
/// </summary>
public sealed partial class WatchTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private CliCluster cluster = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => cluster = await CliCluster.StartAsync();

    public ValueTask DisposeAsync() => cluster.DisposeAsync();

    [Fact]
    public async Task Get_canaries_watch_redraws_the_weight_in_place_in_a_terminal_and_exits_0_on_success()
    {
        var tmux = CliProcess.Require("tmux", "tmux");
        await cluster.CreateCanaryAsync("podinfo", "spec.analysis.stepWeight=10");
        await cluster.WaitForPhaseAsync("podinfo", CanaryPhase.Initialized);

        var socket = $"flagger-cli-{Guid.NewGuid():N}";
        var command = $"'{CliProcess.Flagger}' get canaries -w --exit-on-complete; echo EXIT=$?; sleep 120";
        var started = await CliProcess.RunAsync(tmux, ["-L", socket, "new-session", "-d", "-x", "150", "-y", "20", "-e", $"KUBECONFIG={cluster.Kubeconfig}", command]);
        Assert.True(started.ExitCode == 0, started.ToString());
        try
        {
            await ScreenAsync(tmux, socket, s => Row(s)?.Contains("Initialized", StringComparison.Ordinal) == true, "the podinfo row, Initialized");
            await cluster.ReleaseAsync("podinfo", "stefanprodan/podinfo:1.4.1");

            // Every screen while the release runs: the weight column and the bar, redrawn on the same row.
            var weights = new List<(int Weight, int Cells)>();
            var final = await ScreenAsync(tmux, socket, s =>
            {
                if (Row(s) is { } row && RowShape().Match(row) is { Success: true } m)
                {
                    var sample = (int.Parse(m.Groups["weight"].Value, System.Globalization.CultureInfo.InvariantCulture), m.Groups["bar"].Value.Count(c => c == '#'));
                    if (weights.Count == 0 || weights[^1] != sample)
                    {
                        weights.Add(sample);
                    }
                }

                return s.Contains("EXIT=", StringComparison.Ordinal);
            }, "EXIT= after the release");

            Assert.Contains("EXIT=0", final, StringComparison.Ordinal);
            Assert.Contains("Succeeded", Row(final), StringComparison.Ordinal);
            Assert.Equal(1, Regex.Count(final, @"^\s*NAME\s+PHASE", RegexOptions.Multiline));
            var advancing = weights.Where(w => w.Weight > 0).ToList();
            Assert.True(advancing.Count >= 3, $"weights seen: {string.Join(", ", weights)}");
            Assert.True(advancing.Zip(advancing.Skip(1)).All(p => p.First.Weight < p.Second.Weight && p.First.Cells < p.Second.Cells), $"weights seen: {string.Join(", ", weights)}");
            Assert.All(advancing, w => Assert.Equal(w.Weight * 20 / 50, w.Cells));
        }
        finally
        {
            await CliProcess.RunAsync(tmux, ["-L", socket, "kill-server"]);
        }
    }

    [Fact]
    public async Task Get_canary_watch_with_exit_on_complete_exits_1_when_the_release_fails_and_0_when_it_succeeds()
    {
        await cluster.CreateCanaryAsync("podinfo");
        await cluster.CreateCanaryAsync("failing", $"spec.analysis.webhooks=[{{\"name\":\"smoke\",\"url\":\"{RecordingReceiver.RefusedAddress()}\"}}]");
        await cluster.WaitForPhaseAsync("podinfo", CanaryPhase.Initialized);
        await cluster.WaitForPhaseAsync("failing", CanaryPhase.Initialized);

        // Each watch has printed the canary as it is (Initialized) before the release starts.
        using var succeeding = CliProcess.Start(CliProcess.Flagger, ["get", "canary", "podinfo", "-w", "--exit-on-complete", "-o", "json"], cluster.Environment);
        using var failing = CliProcess.Start(CliProcess.Flagger, ["get", "canary", "failing", "-w", "--exit-on-complete"], cluster.Environment);
        await succeeding.WaitForOutputAsync(o => o.Contains("\"phase\": \"Initialized\"", StringComparison.Ordinal), "the canary Initialized");
        await failing.WaitForOutputAsync(o => o.Contains("Initialized", StringComparison.Ordinal), "the canary Initialized");
        await cluster.ReleaseAsync("podinfo", "stefanprodan/podinfo:1.4.1");
        await cluster.ReleaseAsync("failing", "stefanprodan/podinfo:1.4.1");

        var success = await succeeding.ExitAsync();
        Assert.True(success.ExitCode == 0, success.ToString());
        var phases = Documents(success.Output).Select(d => (string?)d["items"]![0]!["status"]?["phase"]).ToList();
        Assert.Contains("Progressing", phases);
        Assert.Equal("Succeeded", phases[^1]);

        var failure = await failing.ExitAsync();
        Assert.True(failure.ExitCode == 1, failure.ToString());
        Assert.Contains(failure.Lines, l => l.StartsWith("Phase", StringComparison.Ordinal) && l.Contains("Failed", StringComparison.Ordinal));
    }

    private static string? Row(string screen) =>
        screen.Split('\n').FirstOrDefault(l => l.TrimStart().StartsWith("podinfo ", StringComparison.Ordinal));

    private static async Task<string> ScreenAsync(string tmux, string socket, Func<string, bool> until, string what)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        deadline.CancelAfter(Patience);
        var screen = string.Empty;
        try
        {
            while (true)
            {
                screen = (await CliProcess.RunAsync(tmux, ["-L", socket, "capture-pane", "-p"])).Output;
                if (until(screen))
                {
                    return screen;
                }

                await Task.Delay(50, deadline.Token);
            }
        }
        catch (OperationCanceledException) when (!Ct.IsCancellationRequested)
        {
            Assert.Fail($"the terminal did not show {what} within {Patience.TotalSeconds}s; screen:\n{screen}");
            throw;
        }
    }

    private static IEnumerable<JsonNode> Documents(string output)
    {
        // One indented JSON document per change, each starting at a line that is only "{".
        var starts = Regex.Matches(output, @"^\{$", RegexOptions.Multiline).Select(m => m.Index).Append(output.Length).ToList();
        return starts.Zip(starts.Skip(1)).Select(p => JsonNode.Parse(output[p.First..p.Second])!);
    }

    [GeneratedRegex(@"^\s*podinfo\s+\S+\s+(?<weight>\d+)/50\s+(?<bar>\[[#.]{20}\])")]
    private static partial Regex RowShape();
}
