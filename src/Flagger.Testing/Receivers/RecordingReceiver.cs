using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Flagger.Testing.Receivers;

/// <summary>
/// A real HTTP listener on loopback standing in for whatever the operator calls: analysis webhooks, the event
/// webhook, chat services. It keeps every request and answers 200 unless a test scripts otherwise, by request
/// (<see cref="Answer"/>, one answer per request in order) or by path (<see cref="AnswerAt"/>).
/// </summary>
/// <example>
/// <code>
/// await using var receiver = await RecordingReceiver.StartAsync(ct);
/// receiver.AnswerAt("/gate", new ReceiverAnswer(403, "closed"), times: 2);
/// // ... point a canary's webhook at receiver.Url("/gate") ...
/// Assert.Equal(3, receiver.At("/gate").Count);
/// </code>
/// </example>
public sealed class RecordingReceiver : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly ConcurrentQueue<ReceivedRequest> requests = new();
    private readonly ConcurrentQueue<ReceiverAnswer> next = new();
    private readonly Lock gate = new();
    private readonly List<(string Prefix, ReceiverAnswer Answer, int Left)> byPath = [];
    private int inFlight;

    private RecordingReceiver(WebApplication app) => this.app = app;

    /// <summary>The base address, <c>http://127.0.0.1:port</c> (no trailing slash, so <c>Address + "/slack"</c> reads well).</summary>
    public string Address { get; private set; } = string.Empty;

    /// <summary>Every request so far, in the order they arrived.</summary>
    public IReadOnlyList<ReceivedRequest> Requests => [.. requests];

    /// <summary>Requests being answered right now (a hanging answer keeps its request here).</summary>
    public int InFlight => Volatile.Read(ref inFlight);

    /// <summary>Starts a receiver on a free loopback port.</summary>
    public static async Task<RecordingReceiver> StartAsync(CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var receiver = new RecordingReceiver(app);
        app.Run(receiver.HandleAsync);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        receiver.Address = app.Urls.First().TrimEnd('/');
        return receiver;
    }

    /// <summary>An address on loopback where nothing listens: connecting to it is refused.</summary>
    public static Uri RefusedAddress()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return new Uri($"http://127.0.0.1:{port}/");
    }

    /// <summary>The receiver's address for <paramref name="pathAndQuery"/> (<c>"/hooks/gate?token=x"</c>).</summary>
    public Uri Url(string pathAndQuery) => new($"{Address}{pathAndQuery}");

    /// <summary>The requests whose path is exactly <paramref name="path"/>, in order.</summary>
    public IReadOnlyList<ReceivedRequest> At(string path) => [.. requests.Where(r => r.Path == path)];

    /// <summary>Queues <paramref name="answer"/> for the next request that no <see cref="AnswerAt"/> rule takes.</summary>
    public void Answer(ReceiverAnswer answer)
    {
        ArgumentNullException.ThrowIfNull(answer);
        next.Enqueue(answer);
    }

    /// <summary>
    /// Answers the next <paramref name="times"/> requests whose path starts with <paramref name="pathPrefix"/> with
    /// <paramref name="answer"/> (every one, by default). Rules are tried in the order added.
    /// </summary>
    public void AnswerAt(string pathPrefix, ReceiverAnswer answer, int times = int.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(pathPrefix);
        ArgumentNullException.ThrowIfNull(answer);
        lock (gate)
        {
            byPath.Add((pathPrefix, answer, times));
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        // Hanging answers end with the host; a short grace, since nothing else is left to answer.
        using var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        await app.StopAsync(stopping.Token).ConfigureAwait(false);
        await app.DisposeAsync().ConfigureAwait(false);
    }

    private ReceiverAnswer Choose(string path)
    {
        lock (gate)
        {
            for (var i = 0; i < byPath.Count; i++)
            {
                var (prefix, answer, left) = byPath[i];
                if (left > 0 && path.StartsWith(prefix, StringComparison.Ordinal))
                {
                    byPath[i] = (prefix, answer, left == int.MaxValue ? left : left - 1);
                    return answer;
                }
            }
        }

        return next.TryDequeue(out var queued) ? queued : ReceiverAnswer.Ok;
    }

    private async Task HandleAsync(HttpContext context)
    {
        Interlocked.Increment(ref inFlight);
        try
        {
            var request = context.Request;
            var aborted = context.RequestAborted;
            using var reader = new StreamReader(request.Body);
            var received = new ReceivedRequest(
                request.Method,
                request.Path.Value ?? "/",
                request.QueryString.Value ?? string.Empty,
                request.ContentType,
                request.Headers.Authorization.FirstOrDefault(),
                await reader.ReadToEndAsync(aborted).ConfigureAwait(false));
            requests.Enqueue(received);
            var answer = Choose(received.Path);

            // Real time on purpose: what is under test is the caller's own timeout on a slow or silent receiver.
            if (answer.Hang)
            {
                await Task.Delay(Timeout.InfiniteTimeSpan, TimeProvider.System, aborted).ConfigureAwait(false);
            }

            if (answer.Delay > TimeSpan.Zero)
            {
                await Task.Delay(answer.Delay, TimeProvider.System, aborted).ConfigureAwait(false);
            }

            context.Response.StatusCode = answer.Status;
            var body = answer.EchoRequest
                ? $"{answer.Body} for {received.Method} {received.Path}{received.Query} (Authorization: {received.Authorization}): {received.Body}"
                : answer.Body;
            if (answer.TrickleInterval <= TimeSpan.Zero)
            {
                await context.Response.WriteAsync(body, aborted).ConfigureAwait(false);
                return;
            }

            await context.Response.StartAsync(aborted).ConfigureAwait(false);
            foreach (var c in body)
            {
                await context.Response.WriteAsync(c.ToString(), aborted).ConfigureAwait(false);
                await context.Response.Body.FlushAsync(aborted).ConfigureAwait(false);
                await Task.Delay(answer.TrickleInterval, TimeProvider.System, aborted).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // The caller gave up, or the receiver is stopping.
        }
        finally
        {
            Interlocked.Decrement(ref inFlight);
        }
    }
}
