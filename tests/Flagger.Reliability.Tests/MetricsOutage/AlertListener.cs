using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Flagger.Reliability.MetricsOutage;

/// <summary>
/// Everything the operator posts to, on loopback: Slack- and Teams-compatible incoming webhooks and the canary's
/// hooks (any path, always 200). Keeps each body and its Authorization header, so a test can check what arrived.
/// </summary>
public sealed class AlertListener : IAsyncDisposable
{
    private readonly WebApplication app;

    private AlertListener(WebApplication app) => this.app = app;

    /// <summary>Base address, <c>http://127.0.0.1:port</c>.</summary>
    public string Address { get; private set; } = string.Empty;

    /// <summary>Every post: its path, raw body and Authorization header.</summary>
    public ConcurrentQueue<(string Path, string Body, string? Authorization)> Posts { get; } = new();

    /// <summary>The bodies posted to <paramref name="path"/>, in order.</summary>
    public IReadOnlyList<string> BodiesAt(string path) => Posts.Where(p => p.Path == path).Select(p => p.Body).ToList();

    /// <summary>Starts a listener on a free loopback port.</summary>
    public static async Task<AlertListener> StartAsync(CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var listener = new AlertListener(app);
        app.MapPost("/{**hook}", async (HttpContext context) =>
        {
            using var reader = new StreamReader(context.Request.Body);
            var body = await reader.ReadToEndAsync(context.RequestAborted);
            listener.Posts.Enqueue((context.Request.Path, body, context.Request.Headers.Authorization.FirstOrDefault()));
            return Results.Ok();
        });
        await app.StartAsync(cancellationToken);
        listener.Address = app.Urls.First();
        return listener;
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => app.DisposeAsync();
}
