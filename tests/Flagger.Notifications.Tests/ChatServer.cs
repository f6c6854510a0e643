using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Flagger.Notifications;

/// <summary>A real HTTP listener on loopback standing in for a chat service; keeps every request it receives.</summary>
public sealed class ChatServer : IAsyncDisposable
{
    private readonly WebApplication app;

    private ChatServer(WebApplication app) => this.app = app;

    public ConcurrentQueue<(string Path, string? Authorization, string? ContentType, string Body)> Requests { get; } = new();

    public int Status { get; set; } = 200;

    /// <summary>When set, a refusal's body repeats the request line and Authorization header, as some error pages do.</summary>
    public bool EchoRequest { get; set; }

    public string Address => app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

    public static async Task<ChatServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new ChatServer(app);
        app.Run(async context =>
        {
            using var reader = new StreamReader(context.Request.Body);
            var body = await reader.ReadToEndAsync(context.RequestAborted);
            server.Requests.Enqueue((context.Request.Path + context.Request.QueryString, context.Request.Headers.Authorization.FirstOrDefault(), context.Request.ContentType, body));
            context.Response.StatusCode = server.Status;
            var answer = server.Status == 200 ? "ok"
                : server.EchoRequest ? $"invalid_payload for POST {context.Request.Path}{context.Request.QueryString} ({context.Request.Headers.Authorization})"
                : "invalid_payload";
            await context.Response.WriteAsync(answer, context.RequestAborted);
        });
        await app.StartAsync(TestContext.Current.CancellationToken);
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync(CancellationToken.None);
        await app.DisposeAsync();
    }
}
