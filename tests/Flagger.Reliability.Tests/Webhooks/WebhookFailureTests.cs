using Flagger.Model;
using Flagger.Reliability.Harness;
using Flagger.Testing.Receivers;
using k8s;

namespace Flagger.Reliability.Webhooks;

/// <summary>
/// Issue 8 item 5: rollout webhooks that time out, answer 5xx, refuse the connection or send their body too
/// slowly, against real loopback listeners. As FLAGGER-CONTRACT §1.9 says, each failed call is a failed check
/// (<c>Halt &lt;c&gt;.&lt;ns&gt; advancement external check &lt;hook&gt; failed &lt;err&gt;</c>, the error being the
/// response body or the transport error) and the canary is rolled back at the threshold; and one hanging webhook
/// holds only its own canary's tick.
/// </summary>
public sealed class WebhookFailureTests(ITestOutputHelper output)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Each_failing_webhook_is_a_failed_check_reported_with_its_error_until_rollback()
    {
        await using var receiver = await StartReceiverAsync();
        await using var cluster = await ReliabilityCluster.StartAsync(30, 5, Ct);
        AnalysisHook[] hooks =
        [
            new("load-test", receiver.Url("/fail"), "5s"),
            new("load-test", RecordingReceiver.RefusedAddress(), "5s"),
            new("load-test", receiver.Url("/hang"), "5s"),
            new("load-test", receiver.Url("/slow-body"), "5s"),
            new("load-test", receiver.Url("/ok"), "5s"),
        ];
        cluster.CreateApps(hooks.Length, i => hooks[i]);
        await using var flagger = await OperatorInstance.StartAsync(cluster, "flagger-replica-0", null, null, Ct);
        var driver = new RolloutDriver(cluster);
        await driver.WaitForInitializedAsync(Ct);

        // Healthy revisions everywhere: only the webhooks can fail them.
        var results = (await driver.RunAsync([.. cluster.Apps.Select(a => new RolloutPlan(a, 1, Faulty: false))], r => output.WriteLine($"{r}"), Ct))
            .ToDictionary(r => r.Plan.App, StringComparer.Ordinal);

        string[] errors = ["load test failed: boom", "Connection refused", "webhook load-test timed out after 5s", "webhook load-test timed out after 5s"];
        for (var i = 0; i < errors.Length; i++)
        {
            var app = cluster.Apps[i];
            Assert.Equal(CanaryPhase.Failed, results[app].Phase);
            var events = await EventsAsync(cluster, app);
            var halts = events.Where(e => e.Message.StartsWith($"Halt {app}.apps advancement external check load-test failed ", StringComparison.Ordinal)).ToList();
            Assert.True(halts.Count > 0, $"{app}: no halt event in {string.Join(" | ", events.Select(e => e.Message))}");
            Assert.All(halts, e => Assert.Equal("Warning", e.Type));
            Assert.Contains(halts, e => e.Message.Contains(errors[i], StringComparison.Ordinal));

            // Counted: one failed check per failed call, the threshold (2) reached, then the rollback.
            Assert.Equal(2, halts.Sum(e => e.Count ?? 1));
            Assert.Contains(events, e => e.Message == $"Rolling back {app}.apps failed checks threshold reached 2" && e.Type == "Warning");
        }

        Assert.Equal(CanaryPhase.Succeeded, results[cluster.Apps[4]].Phase);
        Assert.True(results.Values.All(r => !r.Stuck));
        Assert.True(receiver.At("/ok").Count >= 1);
    }

    [Fact]
    public async Task A_hanging_webhook_never_blocks_other_canaries_and_its_own_canary_gives_it_one_interval_a_tick_then_rolls_back()
    {
        await using var receiver = await StartReceiverAsync();
        await using var cluster = await ReliabilityCluster.StartAsync(30, 6, Ct);

        // app-0's hook never answers and may take an hour (240 intervals) to time out.
        cluster.CreateApps(4, i => i == 0 ? new AnalysisHook("stuck-gate", receiver.Url("/hang"), "60m") : new AnalysisHook("gate", receiver.Url("/ok"), "5s"));
        await using var flagger = await OperatorInstance.StartAsync(cluster, "flagger-replica-0", null, null, Ct);
        var driver = new RolloutDriver(cluster);
        await driver.WaitForInitializedAsync(Ct);
        cluster.SetRevision("app-0", 1, faulty: false);
        await WaitAsync(() => receiver.InFlight > 0, "app-0's hook to be called");

        var others = await driver.RunAsync([.. cluster.Apps.Skip(1).Select(a => new RolloutPlan(a, 1, Faulty: false))], r => output.WriteLine($"{r}"), Ct);

        // Each other canary promoted in about the six intervals a rollout takes, while app-0's hook hangs: each of its
        // ticks gives the hook what is left of one interval (the tick's webhook time), then fails the gate and calls
        // it again on the next tick, never two calls at once.
        Assert.All(others, r => Assert.Equal(CanaryPhase.Succeeded, r.Phase));
        Assert.All(others, r => Assert.InRange(r.Took, TimeSpan.Zero, ReliabilityCluster.Interval * 10));
        Assert.InRange(receiver.InFlight, 0, 1);
        Assert.True(receiver.At("/hang").Count >= 2, $"{receiver.At("/hang").Count} calls of the hanging hook");
        Assert.Contains(await EventsAsync(cluster, "app-0"), e => e.Message.Contains("webhook stuck-gate stopped: this tick's time for webhooks, one interval (15s), ran out", StringComparison.Ordinal));
        // Each stopped call is a failed gate and a failed check, so app-0 is rolled back at its threshold instead of
        // hanging at its first step for the hook's hour.
        var stuck = await cluster.ReadCanaryAsync("app-0", Ct);
        Assert.Equal(CanaryPhase.Failed, stuck.Status?.Phase);
        Assert.Equal(0, stuck.Status?.CanaryWeight);
    }

    // One path per way of failing: /fail answers 500 with a body, /hang never answers, /slow-body sends 200 at once
    // and then its body a character every 100 ms for a minute; anything else (/ok) answers 200.
    private static async Task<RecordingReceiver> StartReceiverAsync()
    {
        var receiver = await RecordingReceiver.StartAsync(Ct);
        receiver.AnswerAt("/fail", new ReceiverAnswer(500, "load test failed: boom"));
        receiver.AnswerAt("/hang", ReceiverAnswer.Never);
        receiver.AnswerAt("/slow-body", new ReceiverAnswer(200, new string('.', 600)) { TrickleInterval = TimeSpan.FromMilliseconds(100) });
        return receiver;
    }

    private static async Task<IReadOnlyList<k8s.Models.Corev1Event>> EventsAsync(ReliabilityCluster cluster, string app) =>
        (await cluster.Client.CoreV1.ListNamespacedEventAsync(ReliabilityCluster.Namespace, fieldSelector: $"involvedObject.kind=Canary,involvedObject.name={app}", cancellationToken: Ct)).Items.ToList();

    private static async Task WaitAsync(Func<bool> condition, string what)
    {
        for (var i = 0; i < 200 && !condition(); i++)
        {
            // Wall clock: the receiver sees real requests.
            await Task.Delay(TimeSpan.FromMilliseconds(50), Ct);
        }

        Assert.True(condition(), $"timed out waiting for {what}");
    }
}
