using System.Text.Json;
using Flagger.Hosting.Scheduling;
using Flagger.Model;
using Flagger.Testing.Receivers;
using Microsoft.Extensions.Time.Testing;

namespace Flagger.Hosting.Webhooks;

public sealed class HttpWebhookClientTests
{
    private static readonly WebhookPayload Payload = new()
    {
        Name = "podinfo",
        Namespace = "test",
        Phase = "Progressing",
        Checksum = "6d8b5c",
        Metadata = new Dictionary<string, string> { ["cmd"] = "hey -z 1m -q 10 -c 2 http://podinfo-canary.test:9898/" },
    };

    private static CanaryWebhook Hook(RecordingReceiver server, string? timeout = null, int retries = 0) =>
        new() { Name = "load-test", Url = server.Address + "/", Timeout = timeout, Retries = retries };

    [Fact]
    public async Task Posts_the_payload_as_json_in_flaggers_shape()
    {
        await using var server = await RecordingReceiver.StartAsync(TestContext.Current.CancellationToken);
        using var client = new HttpWebhookClient(TimeProvider.System);

        var result = await client.CallAsync(Hook(server), Payload, TestContext.Current.CancellationToken);

        Assert.True(result.Succeeded);
        var (_, _, _, contentType, _, body) = Assert.Single(server.Requests);
        Assert.Equal("application/json; charset=utf-8", contentType);
        Assert.Equal(
            """{"name":"podinfo","namespace":"test","phase":"Progressing","checksum":"6d8b5c","metadata":{"cmd":"hey -z 1m -q 10 -c 2 http://podinfo-canary.test:9898/"}}""",
            JsonSerializer.Serialize(JsonDocument.Parse(body).RootElement));
    }

    [Theory]
    [InlineData(200, true)]
    [InlineData(202, true)]
    [InlineData(203, false)]
    [InlineData(403, false)]
    public async Task Success_is_a_status_of_202_or_less(int status, bool succeeded)
    {
        await using var server = await RecordingReceiver.StartAsync(TestContext.Current.CancellationToken);
        server.Answer(new ReceiverAnswer(status, "gate closed"));
        using var client = new HttpWebhookClient(TimeProvider.System);

        var result = await client.CallAsync(Hook(server), Payload, TestContext.Current.CancellationToken);

        Assert.Equal(succeeded, result.Succeeded);
        Assert.Equal(succeeded ? null : "gate closed", result.Error);
    }

    [Fact]
    public async Task Server_errors_are_retried_up_to_the_hooks_retries_with_virtual_waits()
    {
        await using var server = await RecordingReceiver.StartAsync(TestContext.Current.CancellationToken);
        server.Answer(new ReceiverAnswer(503, "warming up"));
        server.Answer(new ReceiverAnswer(500, "still warming up"));
        var clock = new FakeTimeProvider();
        using var client = new HttpWebhookClient(clock);

        // The hook's timeout runs on the fake clock too: long enough that only the retry delays are at play.
        var call = client.CallAsync(Hook(server, timeout: "1h", retries: 2), Payload, TestContext.Current.CancellationToken);
        while (!call.IsCompleted)
        {
            clock.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(10, TestContext.Current.CancellationToken);
        }

        Assert.True((await call).Succeeded);
        Assert.Equal(3, server.Requests.Count);
    }

    [Fact]
    public async Task Last_error_body_is_reported_when_retries_run_out()
    {
        await using var server = await RecordingReceiver.StartAsync(TestContext.Current.CancellationToken);
        server.Answer(new ReceiverAnswer(500, "boom 1"));
        var clock = new FakeTimeProvider();
        using var client = new HttpWebhookClient(clock);
        server.Answer(new ReceiverAnswer(500, "boom 2"));

        var call = client.CallAsync(Hook(server, timeout: "1h", retries: 1), Payload, TestContext.Current.CancellationToken);
        while (!call.IsCompleted)
        {
            clock.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(10, TestContext.Current.CancellationToken);
        }

        Assert.Equal("boom 2", (await call).Error);
    }

    [Fact]
    public async Task Retries_beyond_the_bound_stop_after_ten_instead_of_wrapping_the_counter()
    {
        await using var server = await RecordingReceiver.StartAsync(TestContext.Current.CancellationToken);
        server.AnswerAt("/", new ReceiverAnswer(500, "down"), times: 20);
        var clock = new FakeTimeProvider();
        using var client = new HttpWebhookClient(clock);

        var call = client.CallAsync(Hook(server, timeout: "1h", retries: int.MaxValue), Payload, TestContext.Current.CancellationToken);
        while (!call.IsCompleted)
        {
            clock.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(10, TestContext.Current.CancellationToken);
        }

        Assert.Equal("down", (await call).Error);
        Assert.Equal(1 + FieldLimits.MaxWebhookRetries, server.Requests.Count);
    }

    [Theory]
    [InlineData("71582789m")]
    [InlineData("9999h")]
    public async Task A_timeout_no_timer_can_hold_is_capped_at_an_hour(string timeout)
    {
        await using var server = await RecordingReceiver.StartAsync(TestContext.Current.CancellationToken);
        using var client = new HttpWebhookClient(TimeProvider.System);
        var hook = Hook(server, timeout: timeout);

        var result = await client.CallAsync(hook, Payload, TestContext.Current.CancellationToken);

        Assert.True(result.Succeeded, result.Error);
        Assert.Equal(FieldLimits.MaxWebhookTimeout, HttpWebhookClient.Timeout(hook));
    }

    [Fact]
    public async Task A_huge_answer_echoing_the_hooks_token_is_cut_and_redacted()
    {
        await using var server = await RecordingReceiver.StartAsync(TestContext.Current.CancellationToken);
        server.Answer(new ReceiverAnswer(403, "bad token tok-0123456789 " + new string('x', 1_000_000)));
        using var client = new HttpWebhookClient(TimeProvider.System);
        var hook = Hook(server) with { Metadata = new Dictionary<string, string> { ["token"] = "tok-0123456789" } };

        var result = await client.CallAsync(hook, Payload, TestContext.Current.CancellationToken);

        Assert.False(result.Succeeded);
        Assert.StartsWith("bad token [redacted] xxx", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("tok-0123456789", result.Error, StringComparison.Ordinal);
        Assert.True(result.Error!.Length <= WebhookErrorText.MaxLength + WebhookErrorText.CutMark.Length, $"{result.Error.Length} characters");
    }

    [Fact]
    public async Task Slow_receiver_fails_after_the_hooks_timeout()
    {
        await using var server = await RecordingReceiver.StartAsync(TestContext.Current.CancellationToken);
        server.Answer(new ReceiverAnswer(200) { Delay = TimeSpan.FromSeconds(5) });
        using var client = new HttpWebhookClient(TimeProvider.System);

        var result = await client.CallAsync(Hook(server, timeout: "300ms"), Payload, TestContext.Current.CancellationToken);

        Assert.Equal("webhook load-test timed out after 300ms", result.Error);
    }

    [Fact]
    public async Task The_hooks_timeout_runs_on_the_hosts_clock()
    {
        await using var server = await RecordingReceiver.StartAsync(TestContext.Current.CancellationToken);
        server.Answer(new ReceiverAnswer(200) { Delay = TimeSpan.FromMinutes(5) });
        var clock = new FakeTimeProvider();
        using var client = new HttpWebhookClient(clock);

        var call = client.CallAsync(Hook(server, timeout: "30s"), Payload, TestContext.Current.CancellationToken);
        while (!call.IsCompleted)
        {
            // Thirty virtual seconds, not thirty real ones: the receiver hangs for minutes.
            clock.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(10, TestContext.Current.CancellationToken);
        }

        Assert.Equal("webhook load-test timed out after 30s", (await call).Error);
    }

    [Fact]
    public async Task The_hooks_of_one_tick_share_one_interval_however_long_their_timeouts_and_retries()
    {
        // Three hooks of an hour each, retried twice, against a receiver that never answers: up to nine hours of one
        // tick. Under the scheduler they take the canary's interval, one minute of virtual time, together.
        await using var server = await RecordingReceiver.StartAsync(TestContext.Current.CancellationToken);
        server.Answer(new ReceiverAnswer(200) { Delay = TimeSpan.FromHours(10) });
        var clock = new FakeTimeProvider();
        var budgets = new TickBudgets();
        using var client = new HttpWebhookClient(clock, budgets);
        var results = new List<string?>();
        var ended = new TaskCompletionSource<TimeSpan>();
        await using var scheduler = new CanaryScheduler(
            async (ns, name, ct) =>
            {
                var start = clock.GetUtcNow();
                foreach (var hook in new[] { "pre-rollout", "load-test", "acceptance" })
                {
                    var result = await client.CallAsync(new CanaryWebhook { Name = hook, Url = server.Address + "/", Timeout = "1h", Retries = 2 }, Payload, ct);
                    results.Add(result.Error);
                }

                ended.TrySetResult(clock.GetUtcNow() - start);
                return new Analysis.TickReport();
            },
            _ => TimeSpan.FromMinutes(1),
            clock,
            Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance,
            16);
        budgets.Attach(scheduler);
        scheduler.Upsert(new Canary { Metadata = new ObjectMetadata { Name = "podinfo", Namespace = "test" }, Spec = new CanarySpec() });

        while (!ended.Task.IsCompleted)
        {
            clock.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(5, TestContext.Current.CancellationToken);
        }

        var took = await ended.Task;
        Assert.InRange(took, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1) + TimeSpan.FromSeconds(2));
        Assert.Equal(
            [
                "webhook pre-rollout stopped: this tick's time for webhooks, one interval (1m0s), ran out",
                "webhook load-test not called: this tick's time for webhooks, one interval (1m0s), is spent",
                "webhook acceptance not called: this tick's time for webhooks, one interval (1m0s), is spent",
            ],
            results);
    }

    [Fact]
    public async Task Refused_connection_is_a_failure_with_the_transport_error()
    {
        using var client = new HttpWebhookClient(TimeProvider.System);

        var result = await client.CallAsync(new CanaryWebhook { Name = "gone", Url = "http://127.0.0.1:1/" }, Payload, TestContext.Current.CancellationToken);

        Assert.False(result.Succeeded);
        Assert.Contains("refused", result.Error, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData(null, 10)]
    [InlineData("5", 10)]
    [InlineData("5s", 5)]
    [InlineData("1m", 60)]
    [InlineData("nonsense", 10)]
    public void Timeout_defaults_to_ten_seconds(string? timeout, int seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), HttpWebhookClient.Timeout(new CanaryWebhook { Timeout = timeout }));
}
