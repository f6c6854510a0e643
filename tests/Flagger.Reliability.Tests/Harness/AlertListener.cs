using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Flagger.Reliability.Harness;

/// <summary>
/// Everything the operator posts to, on loopback: Slack- and Teams-compatible incoming webhooks and the canary's
/// hooks (any path, 200 unless told to fail). Keeps each post's path, query, body and Authorization header, so a
/// test can check what arrived.
/// </summary>
public sealed class AlertListener : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly ConcurrentDictionary<string, int> failures = new(StringComparer.Ordinal);

    private AlertListener(WebApplication app) => this.app = app;

    /// <summary>Base address, <c>http://127.0.0.1:port</c>.</summary>
    public string Address { get; private set; } = string.Empty;

    /// <summary>Every post: its path, query string (with the <c>?</c>), raw body and Authorization header.</summary>
    public ConcurrentQueue<(string Path, string Query, string Body, string? Authorization)> Posts { get; } = new();

    /// <summary>The bodies posted to <paramref name="path"/>, in order.</summary>
    public IReadOnlyList<string> BodiesAt(string path) => Posts.Where(p => p.Path == path).Select(p => p.Body).ToList();

    /// <summary>
    /// Makes the next <paramref name="times"/> posts to paths starting with <paramref name="pathPrefix"/> fail with
    /// 500 and a body that repeats the request line and its Authorization header, as a misconfigured receiver or a
    /// proxy's error page can: whatever the operator does with an error answer, it must not pass that echo on.
    /// </summary>
    public void FailEchoing(string pathPrefix, int times = int.MaxValue) => failures[pathPrefix] = times;

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
            var request = context.Request;
            var authorization = request.Headers.Authorization.FirstOrDefault();
            listener.Posts.Enqueue((request.Path, request.QueryString.Value ?? string.Empty, body, authorization));
            return listener.TakeFailure(request.Path)
                ? Results.Text($"cannot handle POST {request.Path}{request.QueryString} (Authorization: {authorization}): {body}", statusCode: 500)
                : Results.Ok();
        });
        await app.StartAsync(cancellationToken);
        listener.Address = app.Urls.First();
        return listener;
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => app.DisposeAsync();

    private bool TakeFailure(string path)
    {
        foreach (var (prefix, left) in failures)
        {
            if (path.StartsWith(prefix, StringComparison.Ordinal) && left > 0)
            {
                failures[prefix] = left == int.MaxValue ? left : left - 1;
                return true;
            }
        }

        return false;
    }
}
