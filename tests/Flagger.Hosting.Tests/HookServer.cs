using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Flagger.Hosting;

/// <summary>A webhook receiver on loopback whose answers the test scripts; keeps every body it receives.</summary>
public sealed class HookServer : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly ConcurrentQueue<(int Status, string Body, TimeSpan Delay)> answers = new();

    private HookServer(WebApplication app) => this.app = app;

    public ConcurrentQueue<(string Path, string? ContentType, string Body)> Requests { get; } = new();

    public string Address => app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

    public void Answer(int status, string body = "", TimeSpan delay = default) => answers.Enqueue((status, body, delay));

    public static async Task<HookServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new HookServer(app);
        app.Run(async context =>
        {
            using var reader = new StreamReader(context.Request.Body);
            server.Requests.Enqueue((context.Request.Path, context.Request.ContentType, await reader.ReadToEndAsync(context.RequestAborted)));
            var (status, body, delay) = server.answers.TryDequeue(out var next) ? next : (200, string.Empty, TimeSpan.Zero);
            if (delay > TimeSpan.Zero)
            {
                // A slow receiver: real time on purpose, the client's own timeout is what is under test.
                await Task.Delay(delay, context.RequestAborted);
            }

            context.Response.StatusCode = status;
            await context.Response.WriteAsync(body, context.RequestAborted);
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
