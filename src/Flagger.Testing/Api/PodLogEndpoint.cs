using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Flagger.Testing.Pods;
using Flagger.Testing.Storage;
using Microsoft.AspNetCore.Http;

namespace Flagger.Testing.Api;

/// <summary>
/// <c>GET /api/v1/namespaces/{ns}/pods/{name}/log</c>: the lines of the pod's attached <see cref="PodLogFeed"/>
/// as plain text, honouring <c>tailLines</c>, <c>sinceSeconds</c>, <c>sinceTime</c>, <c>timestamps</c>,
/// <c>limitBytes</c> and <c>follow</c> (new lines stream until the client disconnects).
/// </summary>
internal sealed class PodLogEndpoint(ObjectStore store, PodLogs logs)
{
    public async Task HandleAsync(HttpContext context, JsonObject pod, CancellationToken ct)
    {
        var query = context.Request.Query;
        PodEndpoints.CheckContainer(pod, query["container"]);
        var tail = Long(query, "tailLines");
        var limitBytes = Long(query, "limitBytes");
        var timestamps = QueryFlags.Get(query, "timestamps");
        var follow = QueryFlags.Get(query, "follow");
        DateTimeOffset? since = Long(query, "sinceSeconds") is { } seconds
            ? store.Time.GetUtcNow() - TimeSpan.FromSeconds(seconds)
            : DateTimeOffset.TryParse(query["sinceTime"], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? t : null;

        var feed = logs.FeedOf(pod);
        var fresh = Channel.CreateUnbounded<PodLogLine>();
        IDisposable? subscription = null;
        IReadOnlyList<PodLogLine> lines = [];
        if (feed is not null)
        {
            lines = follow ? feed.Follow(l => fresh.Writer.TryWrite(l), out subscription) : feed.Snapshot();
        }

        using (subscription)
        {
            context.Response.StatusCode = 200;
            context.Response.ContentType = "text/plain";
            var selected = lines.Where(l => since is null || l.Time >= since).ToList();
            if (tail is { } n)
            {
                selected = selected.Skip(Math.Max(0, selected.Count - (int)Math.Min(n, int.MaxValue))).ToList();
            }

            var budget = limitBytes ?? long.MaxValue;
            foreach (var line in selected)
            {
                if (!await WriteAsync(context, line, timestamps, ref budget, ct).ConfigureAwait(false))
                {
                    return;
                }
            }

            await context.Response.Body.FlushAsync(ct).ConfigureAwait(false);
            if (!follow)
            {
                return;
            }

            // Streams until kubectl goes away (Ctrl-C); the request's cancellation ends the read.
            await foreach (var line in fresh.Reader.ReadAllAsync(ct).ConfigureAwait(false))
            {
                if (!await WriteAsync(context, line, timestamps, ref budget, ct).ConfigureAwait(false))
                {
                    return;
                }

                await context.Response.Body.FlushAsync(ct).ConfigureAwait(false);
            }
        }
    }

    private static ValueTask<bool> WriteAsync(HttpContext context, PodLogLine line, bool timestamps, ref long budget, CancellationToken ct)
    {
        var text = timestamps
            ? $"{line.Time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'00Z'", CultureInfo.InvariantCulture)} {line.Text}\n"
            : line.Text + "\n";
        var bytes = Encoding.UTF8.GetBytes(text);
        if (bytes.Length > budget)
        {
            bytes = bytes[..(int)budget];
        }

        budget -= bytes.Length;
        var write = context.Response.Body.WriteAsync(bytes, ct);
        var more = budget > 0;
        return Continue(write, more);
    }

    private static async ValueTask<bool> Continue(ValueTask write, bool more)
    {
        await write.ConfigureAwait(false);
        return more;
    }

    private static long? Long(IQueryCollection query, string name)
    {
        var text = query[name].ToString();
        if (text.Length == 0)
        {
            return null;
        }

        return long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= 0
            ? value
            : throw ApiException.BadRequest($"{name}: must be a non-negative integer, got \"{text}\"");
    }
}
