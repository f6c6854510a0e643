using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Flagger.Providers;
using Flagger.Testing.Receivers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Snapshooter;
using Snapshooter.Xunit3;

namespace Flagger.Notifications;

/// <summary>Each chat format, posted to a real HTTP listener; the bodies are snapshots.</summary>
public sealed class NotifierTests
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    private static readonly Notification Rollback = new(
        "podinfo",
        "test",
        "Failed checks threshold reached 5",
        [new NotificationField("Target", "Deployment/podinfo.test"), new NotificationField("Traffic routing", "Weight step: 10 max: 50")],
        AlertSeverity.Error);

    private static readonly Notification Promoted = Rollback with { Message = "Canary analysis completed successfully, promotion finished.", Severity = AlertSeverity.Info, Fields = [] };

    private static ServiceProvider Services(Action<FlaggerEngineBuilder>? configure = null)
    {
        var services = new ServiceCollection();
        var builder = services.AddFlaggerEngine().AddNotifications();
        configure?.Invoke(builder);
        return services.BuildServiceProvider();
    }

    [Theory]
    [InlineData("slack", "/services/T000/B000/XXXX")]
    [InlineData("discord", "/api/webhooks/1/abc/slack")]
    [InlineData("msteams", "/webhookb2/xyz")]
    [InlineData("rocket", "/hooks/abc")]
    [InlineData("gchat", "/v1/spaces/AAA/messages")]
    public async Task Posts_the_provider_format_to_its_address(string type, string path)
    {
        await using var chat = await RecordingReceiver.StartAsync(TestContext.Current.CancellationToken);
        using var services = Services();
        var address = chat.Address + (type == "discord" ? path[..^"/slack".Length] : path);
        var notifier = services.GetRequiredKeyedService<INotifierFactory>(type)
            .Create(new NotifierSettings { Type = type, Address = address, Channel = "deploys", Username = "flagger", Token = "t0ken" });

        await notifier.PostAsync(Rollback, TestContext.Current.CancellationToken);
        await notifier.PostAsync(Promoted, TestContext.Current.CancellationToken);

        var requests = chat.Requests.ToArray();
        Assert.All(requests, r => Assert.Equal((path, "Bearer t0ken", "application/json; charset=utf-8"), (r.Path + r.Query, r.Authorization, r.ContentType)));
        var bodies = requests.Select(r => JsonSerializer.Serialize(JsonDocument.Parse(r.Body).RootElement, Indented)).ToArray();
        Snapshot.Match(string.Join("\n", bodies), SnapshotNameExtension.Create(type));
    }

    [Fact]
    public async Task Refused_post_is_an_error_that_does_not_reveal_the_webhook_path()
    {
        await using var chat = await RecordingReceiver.StartAsync(TestContext.Current.CancellationToken);
        chat.AnswerAt("/", new ReceiverAnswer(400, "invalid_payload"));
        using var services = Services();
        var notifier = services.GetRequiredKeyedService<INotifierFactory>("slack")
            .Create(new NotifierSettings { Type = "slack", Address = chat.Address + "/services/SECRET", Channel = "c", Username = "u" });

        var error = await Assert.ThrowsAsync<HttpRequestException>(() => notifier.PostAsync(Rollback, TestContext.Current.CancellationToken));

        Assert.Contains("status 400: invalid_payload", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("SECRET", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_refusal_that_echoes_the_request_loses_the_webhook_path_and_token()
    {
        await using var chat = await RecordingReceiver.StartAsync(TestContext.Current.CancellationToken);
        chat.AnswerAt("/", new ReceiverAnswer(500, "invalid_payload") { EchoRequest = true });
        using var services = Services();
        var notifier = services.GetRequiredKeyedService<INotifierFactory>("msteams")
            .Create(new NotifierSettings { Type = "msteams", Address = chat.Address + "/webhookb2/tenant-4711@abc/IncomingWebhook/key-0815?code=c0de-99", Token = "bearer-1234" });

        var error = await Assert.ThrowsAsync<HttpRequestException>(() => notifier.PostAsync(Rollback, TestContext.Current.CancellationToken));

        Assert.StartsWith("posting to 127.0.0.1 failed with status 500: invalid_payload for POST [redacted]", error.Message, StringComparison.Ordinal);
        Assert.All(new[] { "tenant-4711", "key-0815", "c0de-99", "bearer-1234" }, secret => Assert.DoesNotContain(secret, error.Message, StringComparison.Ordinal));
    }

    [Fact]
    public void Address_that_is_not_a_url_names_the_provider_type()
    {
        using var services = Services();

        var error = Assert.Throws<ArgumentException>(() => services.GetRequiredKeyedService<INotifierFactory>("msteams")
            .Create(new NotifierSettings { Type = "msteams", Address = "teams.example/hook" }));

        Assert.StartsWith("msteams notifier: address must be an http(s) URL", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Global_slack_notifier_posts_with_the_flag_settings()
    {
        await using var chat = await RecordingReceiver.StartAsync(TestContext.Current.CancellationToken);
        using var services = Services(b => b.AddSlack(o =>
        {
            o.Url = chat.Address + "/services/global";
            o.Channel = "general";
        }));

        await services.GetRequiredService<INotifier>().PostAsync(Promoted, TestContext.Current.CancellationToken);

        var body = JsonDocument.Parse(Assert.Single(chat.Requests).Body).RootElement;
        Assert.Equal(("general", "flagger"), (body.GetProperty("channel").GetString(), body.GetProperty("username").GetString()));
    }

    [Fact]
    public async Task Credentials_in_the_proxy_address_authenticate_to_the_proxy()
    {
        await using var proxy = await ForwardProxy.StartAsync("alice", "p@ss:word");
        using var services = Services();
        var notifier = services.GetRequiredKeyedService<INotifierFactory>("slack").Create(new NotifierSettings
        {
            Type = "slack",
            Address = "http://chat.invalid/services/T0/B0",
            Channel = "c",
            Username = "u",
            Proxy = proxy.Address.Replace("http://", "http://alice:p%40ss%3Aword@", StringComparison.Ordinal),
        });

        await notifier.PostAsync(Promoted, TestContext.Current.CancellationToken);

        // The first attempt carries no credentials and is challenged; the retry carries them, and only then is it forwarded.
        Assert.Equal(["407 http://chat.invalid/services/T0/B0", "200 http://chat.invalid/services/T0/B0"], proxy.Seen);
    }

    [Fact]
    public async Task Distinct_proxy_addresses_past_the_pool_size_are_posted_through_without_growing_the_pool()
    {
        await using var proxy = await ForwardProxy.StartAsync("alice", "p@ss:word");
        using var services = Services();
        var factory = services.GetRequiredKeyedService<INotifierFactory>("slack");
        var addresses = ChatPoster.MaxClients + 8;
        for (var i = 0; i < addresses; i++)
        {
            var notifier = factory.Create(new NotifierSettings
            {
                Type = "slack",
                Address = "http://chat.invalid/services/T0/B0",
                Channel = "c",
                Username = "u",
                Proxy = proxy.Address.Replace("http://", "http://alice:p%40ss%3Aword@", StringComparison.Ordinal) + $"/?team={i}",
            });
            await notifier.PostAsync(Promoted, TestContext.Current.CancellationToken);
        }

        Assert.Equal(addresses, proxy.Seen.Count(s => s.StartsWith("200 ", StringComparison.Ordinal)));
        Assert.Equal(ChatPoster.MaxClients, services.GetRequiredService<ChatPoster>().PooledClients);
    }

    [Fact]
    public async Task A_chat_service_that_never_answers_is_a_timeout_failure_not_a_cancellation()
    {
        await using var chat = await RecordingReceiver.StartAsync(TestContext.Current.CancellationToken);
        chat.Answer(ReceiverAnswer.Never);
        using var services = Services();
        var notifier = services.GetRequiredKeyedService<INotifierFactory>("slack").Create(new NotifierSettings
        {
            Type = "slack",
            Address = chat.Address + "/services/T0/B0/hook-secret",
            Channel = "c",
            Username = "u",
        });

        // The engine ends a tick on a cancellation it did not ask for; a failed post it only logs.
        var error = await Assert.ThrowsAsync<TimeoutException>(() => notifier.PostAsync(Promoted, TestContext.Current.CancellationToken));

        Assert.Equal("posting to 127.0.0.1 timed out after 5s", error.Message);
    }

    [Fact]
    public void Slack_without_a_channel_fails_at_start_naming_the_flag()
    {
        using var services = Services(b => b.AddSlack(o => o.Url = "https://hooks.example/services/x"));

        var error = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<SlackOptions>>().Value);

        Assert.Contains("--slack-channel: must name the channel to post to", error.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// A forward proxy on loopback that wants Basic credentials: without them (or with wrong ones) it answers 407 with
    /// a challenge, with them 200 on the target's behalf. It keeps the status and absolute target of each request.
    /// </summary>
    private sealed class ForwardProxy : IAsyncDisposable
    {
        private readonly WebApplication app;
        private readonly ConcurrentQueue<string> seen = new();

        private ForwardProxy(WebApplication app) => this.app = app;

        public string Address => app.Urls.First().TrimEnd('/');

        public IReadOnlyList<string> Seen => [.. seen];

        public static async Task<ForwardProxy> StartAsync(string user, string password)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            var proxy = new ForwardProxy(builder.Build());
            var expected = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}"));
            proxy.app.Run(context =>
            {
                var target = context.Features.GetRequiredFeature<IHttpRequestFeature>().RawTarget;
                var allowed = context.Request.Headers.ProxyAuthorization == expected;
                context.Response.StatusCode = allowed ? 200 : 407;
                if (!allowed)
                {
                    context.Response.Headers.ProxyAuthenticate = "Basic realm=\"egress\"";
                }

                proxy.seen.Enqueue($"{context.Response.StatusCode} {target}");
                return Task.CompletedTask;
            });
            await proxy.app.StartAsync(TestContext.Current.CancellationToken);
            return proxy;
        }

        public async ValueTask DisposeAsync() => await app.DisposeAsync();
    }
}
