using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text.Json;
using k8s;

namespace Flagger.Istio;

/// <summary>
/// Watch-fed copies of every object of one Istio kind, so that an idle canary costs no GETs (the project's
/// departure 9 from Flagger). Until the first list has arrived, after a watch failure, and for an object whose
/// write lost a conflict, <see cref="TryGet"/> answers "unknown" and the caller reads live.
/// </summary>
internal sealed class IstioObjectCache(IKubernetes client, string group, string version, string plural, string? watchNamespace, TimeProvider time) : IDisposable, IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, JsonElement> objects = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> stale = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource stop = new();
    private readonly Lock gate = new();
    private Task? loop;
    private volatile bool synced;

    /// <summary>
    /// True when the cache can answer: <paramref name="found"/> is the object, or null when it does not exist.
    /// Starts the list-and-watch loop on first use.
    /// </summary>
    public bool TryGet(string @namespace, string name, out JsonElement? found)
    {
        EnsureStarted();
        found = null;
        var key = Key(@namespace, name);
        if (!synced || stale.ContainsKey(key))
        {
            return false;
        }

        // Every stored element is a standalone clone, and a JsonElement cannot be changed: no copy per read
        // (this runs three times in every idle tick of every canary).
        found = objects.TryGetValue(key, out var item) ? item : null;
        return true;
    }

    /// <summary>
    /// True when the cache can answer: <paramref name="version"/> is the object's resourceVersion, or null when it
    /// does not exist. Reads one field, where <see cref="TryGet"/> callers deserialize the whole object.
    /// </summary>
    public bool TryGetVersion(string @namespace, string name, out string? version)
    {
        version = null;
        if (!TryGet(@namespace, name, out var found))
        {
            return false;
        }

        version = found is { } item ? ResourceVersion(item) : null;
        return true;
    }

    /// <summary>Keeps what the server answered to a read or write, unless the cache already holds something newer.</summary>
    public void Remember(JsonElement item)
    {
        var key = Key(item);
        stale.TryRemove(key, out _);
        Store(key, item.Clone());
    }

    /// <summary>Distrusts the copy of one object until it is read live again (after a 409 Conflict).</summary>
    public void Forget(string @namespace, string name) => stale[Key(@namespace, name)] = true;

    /// <summary>Stops the watch without waiting for it to end.</summary>
    public void Dispose()
    {
        stop.Cancel();
        lock (gate)
        {
            // A loop that never started must not start after disposal.
            loop ??= Task.CompletedTask;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync().ConfigureAwait(false);
        if (loop is not null)
        {
            try
            {
                await loop.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Stopping.
            }
        }

        lock (gate)
        {
            loop ??= Task.CompletedTask;
        }
    }

    private void EnsureStarted()
    {
        if (loop is not null)
        {
            return;
        }

        lock (gate)
        {
            loop ??= Task.Run(() => RunAsync(stop.Token));
        }
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        string? resourceVersion = null;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                if (resourceVersion is null)
                {
                    resourceVersion = await ListAsync(cancellationToken).ConfigureAwait(false);
                    synced = true;
                }

                var events = string.IsNullOrEmpty(watchNamespace)
                    ? client.CustomObjects.WatchListClusterCustomObjectAsync(
                        group, version, plural, allowWatchBookmarks: true, resourceVersion: resourceVersion, timeoutSeconds: 300,
                        onError: e => throw e, cancellationToken: cancellationToken)
                    : client.CustomObjects.WatchListNamespacedCustomObjectAsync(
                        group, version, watchNamespace, plural, allowWatchBookmarks: true, resourceVersion: resourceVersion, timeoutSeconds: 300,
                        onError: e => throw e, cancellationToken: cancellationToken);
                await foreach (var (type, item) in events.ConfigureAwait(false))
                {
                    var element = (JsonElement)item;
                    resourceVersion = ResourceVersion(element) ?? resourceVersion;
                    switch (type)
                    {
                        case WatchEventType.Added or WatchEventType.Modified:
                            Store(Key(element), element.Clone());
                            break;
                        case WatchEventType.Deleted:
                            objects.TryRemove(Key(element), out _);
                            break;
                    }
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // Events may have been missed (or the API server is unreachable): read live until a fresh list has arrived.
                synced = false;
                resourceVersion = null;
                if (e is not KubernetesException { Status.Code: (int)HttpStatusCode.Gone })
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), time, cancellationToken).ConfigureAwait(false);
                }
            }
        }
    }

    private async Task<string?> ListAsync(CancellationToken cancellationToken)
    {
        var list = (JsonElement)(string.IsNullOrEmpty(watchNamespace)
            ? await client.CustomObjects.ListClusterCustomObjectAsync(group, version, plural, cancellationToken: cancellationToken).ConfigureAwait(false)
            : await client.CustomObjects.ListNamespacedCustomObjectAsync(group, version, watchNamespace, plural, cancellationToken: cancellationToken).ConfigureAwait(false));
        var fresh = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var item in list.GetProperty("items").EnumerateArray())
        {
            fresh[Key(item)] = item.Clone();
        }

        // What was written while the list was on its way is newer than the list: keep it.
        foreach (var (key, held) in objects.Where(o => !fresh.ContainsKey(o.Key)).ToArray())
        {
            if (!IsNewerThan(held, ResourceVersion(list)))
            {
                objects.TryRemove(key, out _);
            }
        }

        foreach (var (key, item) in fresh)
        {
            Store(key, item);
        }

        return ResourceVersion(list);
    }

    private void Store(string key, JsonElement item) =>
        objects.AddOrUpdate(key, item, (_, held) => IsOlder(item, held) ? held : item);

    // resourceVersions are opaque, but the API server's are increasing integers; compare only when both are.
    private static bool IsOlder(JsonElement candidate, JsonElement held) =>
        long.TryParse(ResourceVersion(candidate), NumberStyles.None, CultureInfo.InvariantCulture, out var c)
        && long.TryParse(ResourceVersion(held), NumberStyles.None, CultureInfo.InvariantCulture, out var h)
        && c < h;

    private static bool IsNewerThan(JsonElement item, string? resourceVersion) =>
        long.TryParse(ResourceVersion(item), NumberStyles.None, CultureInfo.InvariantCulture, out var held)
        && long.TryParse(resourceVersion, NumberStyles.None, CultureInfo.InvariantCulture, out var listed)
        && held > listed;

    private static string? ResourceVersion(JsonElement item) =>
        item.TryGetProperty("metadata", out var metadata) && metadata.TryGetProperty("resourceVersion", out var rv) ? rv.GetString() : null;

    private static string Key(JsonElement item)
    {
        var metadata = item.GetProperty("metadata");
        return Key(metadata.TryGetProperty("namespace", out var ns) ? ns.GetString() ?? string.Empty : string.Empty, metadata.GetProperty("name").GetString() ?? string.Empty);
    }

    private static string Key(string @namespace, string name) => $"{@namespace}/{name}";
}
