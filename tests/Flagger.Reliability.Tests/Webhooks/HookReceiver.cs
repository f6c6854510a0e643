using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Flagger.Reliability.Webhooks;

/// <summary>
/// Real webhook receivers on loopback, one path per way of failing: <c>/ok</c> answers 200, <c>/fail</c> 500 with a
/// body, <c>/hang</c> never answers, <c>/slow-body</c> sends 200 at once and then its body a byte at a time;
/// <see cref="Refused"/> is a port nothing listens on.
/// </summary>
internal sealed class HookReceiver : IAsyncDisposable
{
    private readonly WebApplication app;

    private HookReceiver(WebApplication app, Uri refused)
    {
        this.app = app;
        Refused = refused;
    }

    /// <summary>Calls received, per path.</summary>
    public ConcurrentDictionary<string, int> Calls { get; } = new(StringComparer.Ordinal);

    /// <summary>Calls in progress right now (hanging ones stay here).</summary>
    public int InFlight => Volatile.Read(ref inFlight);

    /// <summary>An address that refuses connections.</summary>
    public Uri Refused { get; }

    private int inFlight;

    public Uri this[string path] =>
        new(new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()), path);

    public static async Task<HookReceiver> StartAsync(CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var receiver = new HookReceiver(app, FreePort());
        app.Run(receiver.HandleAsync);
        await app.StartAsync(cancellationToken);
        return receiver;
    }

    public async ValueTask DisposeAsync()
    {
        using var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        await app.StopAsync(stopping.Token);
        await app.DisposeAsync();
    }

    // A port that was free a moment ago and that nothing listens on now: connecting to it is refused.
    private static Uri FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return new Uri($"http://127.0.0.1:{port}/");
    }

    private async Task HandleAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "/";
        Calls.AddOrUpdate(path, 1, (_, n) => n + 1);
        Interlocked.Increment(ref inFlight);
        try
        {
            var aborted = context.RequestAborted;
            switch (path)
            {
                case "/fail":
                    context.Response.StatusCode = 500;
                    await context.Response.WriteAsync("load test failed: boom", aborted);
                    break;
                case "/hang":
                    // Real time on purpose: only the operator's own timeout may end this call.
                    await Task.Delay(Timeout.InfiniteTimeSpan, aborted);
                    break;
                case "/slow-body":
                    context.Response.StatusCode = 200;
                    await context.Response.StartAsync(aborted);
                    for (var i = 0; i < 600; i++)
                    {
                        await context.Response.WriteAsync(".", aborted);
                        await context.Response.Body.FlushAsync(aborted);
                        await Task.Delay(TimeSpan.FromMilliseconds(100), aborted);
                    }

                    break;
                default:
                    context.Response.StatusCode = 200;
                    break;
            }
        }
        catch (OperationCanceledException)
        {
            // The operator gave up on the call.
        }
        finally
        {
            Interlocked.Decrement(ref inFlight);
        }
    }
}
