using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Flagger.Testing.Storage;
using Microsoft.AspNetCore.Http;

namespace Flagger.Testing.Api;

/// <summary>
/// Watch streams: newline-delimited <c>{"type","object"}</c> JSON over a chunked response, with BOOKMARKs when
/// asked for, <c>timeoutSeconds</c>, and a 410 <c>ERROR</c> event when the resourceVersion is too old.
/// </summary>
internal sealed class WatchEndpoint(ObjectStore store, TimeSpan bookmarkInterval)
{
    public async Task HandleAsync(HttpContext context, RequestPath path, ResourceType type, bool garble, CancellationToken ct)
    {
        var query = context.Request.Query;
        var fields = query["fieldSelector"].ToString();
        if (path.Name is not null)
        {
            // The legacy /watch/.../{name} form watches one object.
            fields = string.IsNullOrEmpty(fields) ? $"metadata.name={path.Name}" : $"{fields},metadata.name={path.Name}";
        }

        var table = TableConverter.Wanted(context.Request.Headers.Accept);
        var bookmarks = query["allowWatchBookmarks"] == "true";
        var initialEventsEnd = query["sendInitialEvents"] == "true";
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        if (int.TryParse(query["timeoutSeconds"], NumberStyles.Integer, CultureInfo.InvariantCulture, out var seconds) && seconds > 0)
        {
            timeout.CancelAfter(TimeSpan.FromSeconds(seconds));
        }

        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/json";
        ObjectStore.Watcher watcher;
        try
        {
            var rv = query["resourceVersion"].ToString();
            watcher = store.Watch(type, path.Namespace, Selector.ParseLabels(query["labelSelector"]), Selector.ParseFields(fields),
                initialEventsEnd ? "0" : rv);
        }
        catch (ApiException e) when (e.Code == 410)
        {
            // Like kube-apiserver: the HTTP status is 200 and the 410 arrives as an ERROR event.
            await WriteEventAsync(context, "ERROR", e.ToStatus(), timeout.Token).ConfigureAwait(false);
            return;
        }

        using (watcher)
        {
            await context.Response.StartAsync(timeout.Token).ConfigureAwait(false);
            var writeGate = new SemaphoreSlim(1, 1);
            using var ticker = bookmarks ? new PeriodicTimer(bookmarkInterval) : null;
            var bookmarkLoop = ticker is null ? Task.CompletedTask : BookmarkLoopAsync(context, type, ticker, writeGate, timeout.Token);
            try
            {
                if (initialEventsEnd)
                {
                    await DrainInitialAsync(context, type, watcher, table, writeGate, timeout.Token).ConfigureAwait(false);
                }

                await foreach (var e in watcher.Events.ReadAllAsync(timeout.Token).ConfigureAwait(false))
                {
                    await SendAsync(context, type, e, table, writeGate, timeout.Token, garble).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException)
            {
                // timeoutSeconds elapsed or the client went away: the stream simply ends.
            }
            finally
            {
                await timeout.CancelAsync().ConfigureAwait(false);
                try
                {
                    await bookmarkLoop.ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    // expected on shutdown of the stream
                }

                writeGate.Dispose();
            }
        }
    }

    private async Task DrainInitialAsync(HttpContext context, ResourceType type, ObjectStore.Watcher watcher, bool table, SemaphoreSlim gate, CancellationToken ct)
    {
        while (watcher.Events.TryRead(out var e))
        {
            await SendAsync(context, type, e, table, gate, ct).ConfigureAwait(false);
        }

        var bookmark = Bookmark(type);
        ((JsonObject)bookmark["metadata"]!)["annotations"] = new JsonObject { ["k8s.io/initial-events-end"] = "true" };
        await gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await WriteEventAsync(context, "BOOKMARK", bookmark, ct).ConfigureAwait(false);
        }
        finally
        {
            gate.Release();
        }
    }

    private async Task BookmarkLoopAsync(HttpContext context, ResourceType type, PeriodicTimer ticker, SemaphoreSlim gate, CancellationToken ct)
    {
        while (await ticker.WaitForNextTickAsync(ct).ConfigureAwait(false))
        {
            await gate.WaitAsync(ct).ConfigureAwait(false);
            try
            {
                await WriteEventAsync(context, "BOOKMARK", Bookmark(type), ct).ConfigureAwait(false);
            }
            finally
            {
                gate.Release();
            }
        }
    }

    private async Task SendAsync(HttpContext context, ResourceType type, WatchEvent e, bool table, SemaphoreSlim gate, CancellationToken ct, bool garble = false)
    {

        var obj = ResourceEndpoint.Versioned(type, (JsonObject)e.Object.DeepClone());
        JsonNode payload = garble ? JsonValue.Create("garbled") // FaultInjector.GarbleWatchEvents: an object no client can read
            : table ? TableConverter.Convert(type, [obj], null, includeObject: false, store.Time.GetUtcNow()) : obj;
        await gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await WriteEventAsync(context, e.Type, payload, ct).ConfigureAwait(false);
        }
        finally
        {
            gate.Release();
        }
    }

    private JsonObject Bookmark(ResourceType type) => new()
    {
        ["kind"] = type.Kind,
        ["apiVersion"] = type.ApiVersion,
        ["metadata"] = new JsonObject { ["resourceVersion"] = store.CurrentResourceVersion.ToString(CultureInfo.InvariantCulture) },
    };

    private static async Task WriteEventAsync(HttpContext context, string type, JsonNode obj, CancellationToken ct)
    {
        var line = JsonSerializer.SerializeToUtf8Bytes(new JsonObject { ["type"] = type, ["object"] = obj });
        await context.Response.Body.WriteAsync(line, ct).ConfigureAwait(false);
        await context.Response.Body.WriteAsync("\n"u8.ToArray(), ct).ConfigureAwait(false);
        await context.Response.Body.FlushAsync(ct).ConfigureAwait(false);
    }
}
