using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Flagger.Acceptance;

/// <summary>
/// Everything the operator posts to, on loopback: a Slack-compatible incoming webhook (<c>/slack</c>), the event
/// webhook (<c>/events</c>) and the canary's load-test hook (<c>/load-test</c>, always 200). Keeps every body.
/// </summary>
public sealed class Receiver : IAsyncDisposable
{
    private readonly WebApplication app;

    private Receiver(WebApplication app) => this.app = app;

    public string Address { get; private set; } = string.Empty;

    public ConcurrentQueue<(string Path, JsonElement Body)> Posts { get; } = new();

    /// <summary>The <c>text</c> of each Slack attachment, in order.</summary>
    public IReadOnlyList<string> SlackTexts => Posts.Where(p => p.Path == "/slack")
        .Select(p => p.Body.GetProperty("attachments")[0].GetProperty("text").GetString() ?? string.Empty).ToList();

    /// <summary>The <c>eventMessage</c> of each event-webhook post, in order.</summary>
    public IReadOnlyList<string> EventMessages => Posts.Where(p => p.Path == "/events")
        .Select(p => p.Body.GetProperty("metadata").GetProperty("eventMessage").GetString() ?? string.Empty).ToList();

    public static async Task<Receiver> StartAsync(CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var receiver = new Receiver(app);
        app.MapPost("/{hook}", async (HttpContext context) =>
        {
            using var body = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
            receiver.Posts.Enqueue((context.Request.Path, body.RootElement.Clone()));
            return Results.Ok();
        });
        await app.StartAsync(cancellationToken);
        receiver.Address = app.Urls.First();
        return receiver;
    }

    public ValueTask DisposeAsync() => app.DisposeAsync();
}
