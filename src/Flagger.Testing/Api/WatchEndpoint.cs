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
/// <remarks>
/// As kube-apiserver does, the response headers go out as soon as the watch is registered: a client such as
/// <c>kubectl wait</c> holds its own deadline only once the watch request has been answered. Bookmarks are
/// sent every <c>BookmarkInterval</c> and once more two seconds before <c>timeoutSeconds</c> ends, so a client
/// that resumes after the timeout starts from a recent resourceVersion. A bookmark is queued behind the
/// watcher's pending events and carries the store's resourceVersion at that moment, so resuming from it never
/// skips an event.
/// <para>
/// The <c>Accept</c> header is negotiated as for a list (<see cref="ResponseForm"/>). With <c>as=Table</c> each
/// object is a one-row Table; with <c>as=PartialObjectMetadata</c> each object, bookmarks included, is its
/// metadata only; ERROR events keep their Status. <c>as=PartialObjectMetadataList</c> is accepted and the objects
/// go out whole: kube-apiserver's watch encoder cannot turn one object into a list, logs that, and sends it as
/// it is.
/// </para>
/// </remarks>
internal sealed class WatchEndpoint(ObjectStore store, TimeSpan bookmarkInterval)
{
    /// <summary>How long before the end of <c>timeoutSeconds</c> the last bookmark is sent, as kube-apiserver does.</summary>
    private static readonly TimeSpan BookmarkBeforeTimeout = TimeSpan.FromSeconds(2);

    public async Task HandleAsync(HttpContext context, RequestPath path, ResourceType type, bool garble, CancellationToken ct)
    {
        var query = context.Request.Query;
        var fields = query["fieldSelector"].ToString();
        if (path.Name is not null)
        {
            // The legacy /watch/.../{name} form watches one object.
            fields = string.IsNullOrEmpty(fields) ? $"metadata.name={path.Name}" : $"{fields},metadata.name={path.Name}";
        }

        var form = ResponseForm.Negotiate(context.Request.Headers.Accept);
        var bookmarks = QueryFlags.Get(query, "allowWatchBookmarks");
        var initialEventsEnd = QueryFlags.Get(query, "sendInitialEvents");
        var clock = TimeProvider.System; // watch timeouts and bookmarks run on the wall clock, as the client's do
        DateTimeOffset? deadline = null;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        if (query["timeoutSeconds"].ToString() is { Length: > 0 } text)
        {
            if (!long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var seconds) || seconds < 0)
            {
                throw ApiException.BadRequest($"invalid value for query parameter \"timeoutSeconds\": \"{text}\" is not a non-negative integer");
            }

            if (seconds > 0)
            {
                deadline = clock.GetUtcNow() + TimeSpan.FromSeconds(seconds);
                timeout.CancelAfter(TimeSpan.FromSeconds(seconds));
            }
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
            var bookmarkLoop = Task.CompletedTask;
            try
            {
                // StartAsync alone leaves the headers in Kestrel's buffer until the first event; flush them now.
                await context.Response.StartAsync(timeout.Token).ConfigureAwait(false);
                await context.Response.Body.FlushAsync(timeout.Token).ConfigureAwait(false);
                if (initialEventsEnd)
                {
                    await DrainInitialAsync(context, type, watcher, form, timeout.Token).ConfigureAwait(false);
                }

                if (bookmarks)
                {
                    bookmarkLoop = BookmarkLoopAsync(type, watcher, deadline, clock, timeout.Token);
                }

                await foreach (var e in watcher.Events.ReadAllAsync(timeout.Token).ConfigureAwait(false))
                {
                    await SendAsync(context, type, e, form, timeout.Token, garble).ConfigureAwait(false);
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
                    // expected: the stream has ended
                }
            }
        }
    }

    private async Task DrainInitialAsync(HttpContext context, ResourceType type, ObjectStore.Watcher watcher, ResponseForm form, CancellationToken ct)
    {
        while (watcher.Events.TryRead(out var e))
        {
            await SendAsync(context, type, e, form, ct).ConfigureAwait(false);
        }

        var bookmark = Bookmark(type, store.CurrentResourceVersion);
        ((JsonObject)bookmark["metadata"]!)["annotations"] = new JsonObject { ["k8s.io/initial-events-end"] = "true" };
        await WriteEventAsync(context, "BOOKMARK", BookmarkIn(form, bookmark), ct).ConfigureAwait(false);
    }

    /// <summary>Queues a bookmark every interval, and one just before the deadline; ends with the watch.</summary>
    private async Task BookmarkLoopAsync(ResourceType type, ObjectStore.Watcher watcher, DateTimeOffset? deadline, TimeProvider clock, CancellationToken ct)
    {
        var next = clock.GetUtcNow() + bookmarkInterval;
        var last = deadline - BookmarkBeforeTimeout;
        while (!ct.IsCancellationRequested)
        {
            var due = last is { } l && l < next ? l : next;
            var wait = due - clock.GetUtcNow();
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, clock, ct).ConfigureAwait(false);
            }

            watcher.OfferBookmark(rv => Bookmark(type, rv));
            if (due == last)
            {
                last = null;
            }
            else
            {
                next += bookmarkInterval;
            }
        }
    }

    private async Task SendAsync(HttpContext context, ResourceType type, WatchEvent e, ResponseForm form, CancellationToken ct, bool garble = false)
    {
        if (e.Type is "BOOKMARK" or "ERROR")
        {
            await WriteEventAsync(context, e.Type, e.Type == "BOOKMARK" ? BookmarkIn(form, e.Object) : e.Object, ct).ConfigureAwait(false);
            return;
        }

        var obj = ResourceEndpoint.Versioned(type, (JsonObject)e.Object.DeepClone());
        JsonNode payload = garble ? JsonValue.Create("garbled") // FaultInjector.GarbleWatchEvents: an object no client can read
            : form.Shape switch
            {
                ResponseShape.Table => TableConverter.Convert(type, [obj], null, includeObject: false, store.Time.GetUtcNow(), apiVersion: form.ApiVersion),
                ResponseShape.PartialObjectMetadata => PartialObjectMetadata.Of(obj, form.ApiVersion),
                _ => obj,
            };
        await WriteEventAsync(context, e.Type, payload, ct).ConfigureAwait(false);
    }

    /// <summary>A bookmark as a metadata-only watch sees it: a PartialObjectMetadata carrying the resourceVersion.</summary>
    private static JsonObject BookmarkIn(ResponseForm form, JsonObject bookmark) =>
        form.Shape == ResponseShape.PartialObjectMetadata ? PartialObjectMetadata.Of(bookmark, form.ApiVersion) : bookmark;

    private static JsonObject Bookmark(ResourceType type, long resourceVersion) => new()
    {
        ["kind"] = type.Kind,
        ["apiVersion"] = type.ApiVersion,
        ["metadata"] = new JsonObject { ["resourceVersion"] = resourceVersion.ToString(CultureInfo.InvariantCulture) },
    };

    private static async Task WriteEventAsync(HttpContext context, string type, JsonNode obj, CancellationToken ct)
    {
        var line = JsonSerializer.SerializeToUtf8Bytes(new JsonObject { ["type"] = type, ["object"] = obj });
        await context.Response.Body.WriteAsync(line, ct).ConfigureAwait(false);
        await context.Response.Body.WriteAsync("\n"u8.ToArray(), ct).ConfigureAwait(false);
        await context.Response.Body.FlushAsync(ct).ConfigureAwait(false);
    }
}
