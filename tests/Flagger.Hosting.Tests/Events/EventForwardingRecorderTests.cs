using System.Collections.Concurrent;
using System.Text.Json;
using Flagger.Events;
using Flagger.Model;
using Flagger.Providers;
using Flagger.Testing.Receivers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Flagger.Hosting.Events;

public sealed class EventForwardingRecorderTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Canary Podinfo(string webhooks = "[]") => FlaggerJson.DeserializeCanary($$$"""
        {"apiVersion":"flagger.app/v1beta1","kind":"Canary","metadata":{"name":"podinfo","namespace":"test"},
         "spec":{"targetRef":{"apiVersion":"apps/v1","kind":"Deployment","name":"podinfo"},"service":{"port":9898},
                 "analysis":{"interval":"1m","threshold":5,"maxWeight":50,"stepWeight":10,"webhooks":{{{webhooks}}}}},
         "status":{"phase":"Progressing","failedChecks":0}}
        """);

    private static ServiceProvider Build(string? eventWebhook, RecordingRecorder inner, LogLines logs, bool forward = true)
    {
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(new FakeTimeProvider(Now));
        services.AddLogging(l => l.AddProvider(logs));
        services.AddSingleton<IEventRecorder>(inner);
        var flagger = services.AddFlagger(host: h => h.EventWebhook = eventWebhook);
        if (forward)
        {
            flagger.AddEventForwarding();
        }

        return services.BuildServiceProvider();
    }

    [Fact]
    public async Task Every_event_is_recorded_logged_with_its_canary_and_posted_to_the_event_webhook()
    {
        await using var hook = await RecordingReceiver.StartAsync(TestContext.Current.CancellationToken);
        var inner = new RecordingRecorder();
        var logs = new LogLines();
        await using var provider = Build(hook.Address + "/events", inner, logs);

        await provider.GetRequiredService<IEventRecorder>().RecordAsync(Podinfo(), new CanaryEvent(EventSeverity.Warning, "Halt podinfo.test advancement success rate 69.17% < 99%"), Ct);

        Assert.Equal("Warning Halt podinfo.test advancement success rate 69.17% < 99%", Assert.Single(inner.Events));
        Assert.Contains(("podinfo.test", "Halt podinfo.test advancement success rate 69.17% < 99%"), logs.Lines);
        var (_, path, _, contentType, _, body) = Assert.Single(hook.Requests);
        Assert.Equal("/events", path);
        Assert.StartsWith("application/json", contentType, StringComparison.Ordinal);
        using var json = JsonDocument.Parse(body);
        Assert.Equal("podinfo", json.RootElement.GetProperty("name").GetString());
        Assert.Equal("test", json.RootElement.GetProperty("namespace").GetString());
        Assert.Equal("Progressing", json.RootElement.GetProperty("phase").GetString());
        var metadata = json.RootElement.GetProperty("metadata");
        Assert.Equal("Halt podinfo.test advancement success rate 69.17% < 99%", metadata.GetProperty("eventMessage").GetString());
        Assert.Equal("Warning", metadata.GetProperty("eventType").GetString());
        Assert.Equal(Now.ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture), metadata.GetProperty("timestamp").GetString());
    }

    [Fact]
    public async Task A_failing_event_webhook_is_logged_not_thrown()
    {
        await using var hook = await RecordingReceiver.StartAsync(TestContext.Current.CancellationToken);
        hook.Answer(new ReceiverAnswer(500, "receiver down"));
        var inner = new RecordingRecorder();
        var logs = new LogLines();
        await using var provider = Build(hook.Address + "/events", inner, logs);

        await provider.GetRequiredService<IEventRecorder>().RecordAsync(Podinfo(), new CanaryEvent(EventSeverity.Info, "Advance podinfo.test canary weight 10"), Ct);

        Assert.Single(inner.Events);
        Assert.Contains(logs.Lines, l => l.Message.Contains("Event webhook for canary podinfo.test failed: receiver down", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_canary_with_its_own_event_hooks_does_not_get_the_global_one()
    {
        await using var hook = await RecordingReceiver.StartAsync(TestContext.Current.CancellationToken);
        var inner = new RecordingRecorder();
        await using var provider = Build(hook.Address + "/events", inner, new LogLines());

        await provider.GetRequiredService<IEventRecorder>().RecordAsync(Podinfo("""[{"name":"own","type":"event","url":"http://own.test/"}]"""), new CanaryEvent(EventSeverity.Info, "Advance podinfo.test canary weight 10"), Ct);

        Assert.Single(inner.Events);
        Assert.Empty(hook.Requests);
    }

    [Fact]
    public async Task An_event_webhook_without_forwarding_fails_validation_naming_the_flag()
    {
        await using var provider = Build("http://events.test/", new RecordingRecorder(), new LogLines(), forward: false);

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<FlaggerHostOptions>>().Value);

        Assert.Contains("--event-webhook: set, but events are not forwarded; call AddEventForwarding() after AddKubernetes()", error.Failures);
    }

    [Fact]
    public async Task A_malformed_event_webhook_is_reported_without_its_credentials()
    {
        await using var provider = Build("events.test/hook?token=tok-0123456789&team=ops", new RecordingRecorder(), new LogLines());

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<FlaggerHostOptions>>().Value);

        Assert.Contains("--event-webhook: must be an absolute URL, got 'events.test/hook?token=[redacted]&team=[redacted]'", error.Failures);
        Assert.DoesNotContain("0123456789", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Forwarding_needs_a_recorder_to_wrap() =>
        Assert.Contains("call it after AddKubernetes()", Assert.Throws<InvalidOperationException>(() => new ServiceCollection().AddFlagger().AddEventForwarding()).Message, StringComparison.Ordinal);

    private sealed class RecordingRecorder : IEventRecorder
    {
        public ConcurrentQueue<string> Events { get; } = new();

        public Task RecordAsync(Canary canary, CanaryEvent canaryEvent, CancellationToken cancellationToken)
        {
            Events.Enqueue(canaryEvent.ToString());
            return Task.CompletedTask;
        }
    }

    /// <summary>Captures each log line's message and its <c>canary</c> field, as the JSON formatter would print them.</summary>
    private sealed class LogLines : ILoggerProvider, ILogger
    {
        public ConcurrentQueue<(string? Canary, string Message)> Lines { get; } = new();

        public ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var canary = state is IEnumerable<KeyValuePair<string, object?>> fields ? fields.FirstOrDefault(f => f.Key == "canary").Value?.ToString() : null;
            Lines.Enqueue((canary, formatter(state, exception)));
        }

        public void Dispose()
        {
        }
    }
}
