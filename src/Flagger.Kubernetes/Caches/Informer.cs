using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using k8s;
using k8s.Autorest;
using Microsoft.Extensions.Logging;

namespace Flagger.Kubernetes.Caches;

/// <summary>Lists one resource, then follows its watch, keeping every object in memory (client-go's reflector + store).</summary>
/// <typeparam name="T">The cached object type.</typeparam>
/// <remarks>
/// A watch the server closes is resumed from the last resourceVersion seen (bookmarks included), so nothing is
/// missed; 410 Gone relists; every failure, 410 included, backs off on the wall clock before the next attempt. Writes made by this process are put in
/// the cache at once (<see cref="Upsert"/>), so a read after a write never sees the older object.
/// </remarks>
internal sealed partial class Informer<T>(
    string resource,
    Func<CancellationToken, Task<(IReadOnlyList<T> Items, string ResourceVersion)>> list,
    Func<string, Action<Exception>, CancellationToken, IAsyncEnumerable<(WatchEventType Type, T Object)>> watch,
    Func<T, ObjectKey> keyOf,
    ILogger logger) where T : class
{
    /// <summary>
    /// How long one watch may last on this side. The server ends each after <see cref="ClusterCache.WatchTimeoutSeconds"/>;
    /// one still open half a minute later is hung (a proxy or load balancer that accepted the connection and never
    /// answered, a half-open connection) and is given up and resumed, since the client sets no timeout on watches.
    /// </summary>
    internal static readonly TimeSpan WatchDeadline = TimeSpan.FromSeconds(ClusterCache.WatchTimeoutSeconds + 30);

    /// <summary>
    /// How long a deletion the watch delivered is remembered, to refuse writes of this process read or made before it:
    /// far longer than any request may take (the client gives each 100 s unless configured otherwise).
    /// </summary>
    internal static readonly TimeSpan DeletionMemory = TimeSpan.FromMinutes(10);

    private readonly ConcurrentDictionary<(string Namespace, string Name), T> objects = new();
    private readonly TaskCompletionSource synced = new(TaskCreationOptions.RunContinuationsAsynchronously);

    // Serialises this process's write-through (Upsert) with the watch's deletions, and keeps those deletions: the
    // resourceVersion each was seen at, and when (on the wall clock RunAsync is given).
    private readonly Lock writes = new();
    private readonly Dictionary<(string Namespace, string Name), (string? Version, long Seen)> deletions = [];
    private TimeProvider clock = TimeProvider.System;
    private long pruned;

    /// <summary>Raised for every change seen on the watch (not for this process's own write-through).</summary>
    public event Action<WatchEventType, T>? Changed;

    public string Resource => resource;

    public Task Synced => synced.Task;

    /// <summary>Set while the resource cannot be listed because the server does not serve it (a CRD not installed).</summary>
    public string? NotServed { get; private set; }

    public int Count => objects.Count;

    /// <summary>How many deletions are remembered now (those of the last <see cref="DeletionMemory"/>, give or take a minute).</summary>
    internal int RememberedDeletions
    {
        get
        {
            lock (writes)
            {
                return deletions.Count;
            }
        }
    }

    public T? Get(string @namespace, string name) => objects.GetValueOrDefault((@namespace, name));

    public IEnumerable<T> List() => objects.Values;

    /// <summary>
    /// Puts an object this process wrote or read, unless the cache already holds it or a newer one, or the watch has
    /// since delivered its deletion (the write and the watch are two connections: an answer can arrive after the
    /// deletion that followed it, and no later event would take it out again). Returns the cached instance, so callers
    /// hand out the same object the next read returns.
    /// </summary>
    public T Upsert(T item)
    {
        var key = keyOf(item);
        lock (writes)
        {
            if (deletions.TryGetValue((key.Namespace, key.Name), out var deleted) && !ResourceVersions.IsStrictlyNewer(key.ResourceVersion, deleted.Version))
            {
                return item;
            }

            return objects.AddOrUpdate((key.Namespace, key.Name), item, (_, old) => ResourceVersions.IsNewer(key.ResourceVersion, keyOf(old).ResourceVersion) ? item : old);
        }
    }

    public void Remove(string @namespace, string name) => objects.TryRemove((@namespace, name), out _);

    public async Task RunAsync(TimeProvider wallClock, CancellationToken cancellationToken)
    {
        clock = wallClock;
        var failures = 0;
        string? version = null;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                if (version is null)
                {
                    version = await RelistAsync(cancellationToken).ConfigureAwait(false);
                    NotServed = null;
                    synced.TrySetResult();
                }

                version = await WatchAsync(version, wallClock, cancellationToken).ConfigureAwait(false);
                failures = 0;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                if (IsGone(e))
                {
                    // Relisted, but after the same backoff as any other failure (client-go's reflector waits between
                    // list-and-watch attempts whatever ended them): a server that answers every watch, or every
                    // continued list page, with 410 would otherwise be listed from in a tight loop.
                    LogRelist(resource);
                    version = null;
                    failures++;
                    if (!await BackOffAsync(failures, wallClock, cancellationToken).ConfigureAwait(false))
                    {
                        return;
                    }

                    continue;
                }

                if (e is HttpOperationException { Response.StatusCode: HttpStatusCode.NotFound } && version is null)
                {
                    NotServed = $"the API server does not serve {resource} (is its CRD installed?)";
                }

                failures++;
                LogWatchFailed(resource, e.Message);
                if (e is System.Text.Json.JsonException or NotSupportedException)
                {
                    // An event the client could not read would come back on resuming from the same version: list
                    // instead, as client-go's reflector does after any watch error.
                    version = null;
                }

                if (!await BackOffAsync(failures, wallClock, cancellationToken).ConfigureAwait(false))
                {
                    return;
                }
            }
        }
    }

    /// <summary>The wait before the next attempt after <paramref name="failures"/> failures in a row, jittered ±50 %.</summary>
    internal static TimeSpan Backoff(int failures, double jitter) =>
        TimeSpan.FromMilliseconds(Math.Min(30_000, 100 * Math.Pow(2, Math.Min(failures, 9))) * (0.5 + jitter));

    // False when cancelled while waiting.
    private static async Task<bool> BackOffAsync(int failures, TimeProvider wallClock, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(Backoff(failures, Random.Shared.NextDouble()), wallClock, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    private async Task<string> RelistAsync(CancellationToken cancellationToken)
    {
        var (items, version) = await list(cancellationToken).ConfigureAwait(false);
        var seen = new HashSet<(string, string)>();
        foreach (var item in items)
        {
            var key = keyOf(item);
            seen.Add((key.Namespace, key.Name));
            if (!objects.TryGetValue((key.Namespace, key.Name), out var old) || keyOf(old).ResourceVersion != key.ResourceVersion)
            {
                // A write of this process that landed after the list was served (Upsert) is newer than the listed
                // copy: putting the older one back would hand a reader what it has already overwritten.
                if (old is not null && ResourceVersions.IsStrictlyNewer(keyOf(old).ResourceVersion, key.ResourceVersion))
                {
                    continue;
                }

                objects[(key.Namespace, key.Name)] = item;
                Changed?.Invoke(old is null ? WatchEventType.Added : WatchEventType.Modified, item);
            }
        }

        // An object missing from the list is gone, unless this process created it after the list was served.
        foreach (var gone in objects.Where(e => !seen.Contains(e.Key) && !ResourceVersions.IsStrictlyNewer(keyOf(e.Value).ResourceVersion, version)).Select(e => e.Key).ToList())
        {
            if (objects.TryRemove(gone, out var removed))
            {
                Changed?.Invoke(WatchEventType.Deleted, removed);
            }
        }

        return version;
    }

    private async Task<string> WatchAsync(string version, TimeProvider wallClock, CancellationToken cancellationToken)
    {
        Exception? failure = null;
        using var deadline = new CancellationTokenSource(WatchDeadline, wallClock);
        using var failed = new CancellationTokenSource();
        using var watching = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token, failed.Token);

        // The client reports an event it cannot read (and a watch ERROR event) to onError and reads on. Waiting for
        // the next event to notice would stall the cache for as long as no event it can read arrives: end the
        // watch at once instead, so the loop logs it and lists again.
        void OnError(Exception e)
        {
            failure ??= e;
            failed.Cancel();
        }

        try
        {
            await foreach (var (type, item) in watch(version, OnError, watching.Token).ConfigureAwait(false))
            {
                if (failure is not null)
                {
                    break;
                }

                var key = keyOf(item);
                version = string.IsNullOrEmpty(key.ResourceVersion) ? version : key.ResourceVersion;
                switch (type)
                {
                    case WatchEventType.Bookmark:
                        continue;
                    case WatchEventType.Deleted:
                        if (!Delete(key))
                        {
                            // This process has already written the object again, after this deletion.
                            continue;
                        }

                        break;
                    case WatchEventType.Error:
                        continue;
                    default:
                        // The same resourceVersion means this process wrote it and cached it already: keep that
                        // instance (atomically, a write-through may race this event), so readers see no change. An
                        // older one is an event the watch delivers after this process's later write (two
                        // connections): it must not take the cache back; the write's own event follows it.
                        var stored = objects.AddOrUpdate(
                            (key.Namespace, key.Name),
                            item,
                            (_, old) => keyOf(old).ResourceVersion == key.ResourceVersion || ResourceVersions.IsStrictlyNewer(keyOf(old).ResourceVersion, key.ResourceVersion) ? old : item);
                        if (!ReferenceEquals(stored, item))
                        {
                            continue;
                        }

                        break;
                }

                Changed?.Invoke(type, item);
            }
        }
        catch (Exception e) when ((Hung() || failure is not null) && e is OperationCanceledException or IOException or HttpRequestException)
        {
            // Ended by the deadline or by a reported failure: below.
        }

        if (Hung())
        {
            // Resumed from the last resourceVersion seen, so nothing is missed.
            LogWatchHung(resource, WatchDeadline.TotalSeconds);
            return version;
        }

        // The client passes watch ERROR events (410 Gone) to onError only; surface them to the loop.
        if (failure is not null)
        {
            throw failure;
        }

        return version;

        bool Hung() => deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested;
    }

    // Removes the object the watch says was deleted, unless what is cached is newer (this process re-created it, and
    // the watch's ADDED for that comes next), and remembers the deletion for Upsert.
    private bool Delete(ObjectKey key)
    {
        lock (writes)
        {
            // Expired deletions are dropped once a minute at most, so a namespace of thousands deleted at once costs
            // one pass over them per minute, not one per deletion.
            var now = clock.GetTimestamp();
            if (clock.GetElapsedTime(pruned, now) > TimeSpan.FromMinutes(1))
            {
                pruned = now;
                foreach (var old in deletions.Where(d => clock.GetElapsedTime(d.Value.Seen, now) > DeletionMemory).Select(d => d.Key).ToList())
                {
                    deletions.Remove(old);
                }
            }

            deletions[(key.Namespace, key.Name)] = (key.ResourceVersion, now);
            if (objects.TryGetValue((key.Namespace, key.Name), out var cached) && ResourceVersions.IsStrictlyNewer(keyOf(cached).ResourceVersion, key.ResourceVersion))
            {
                return false;
            }

            objects.TryRemove((key.Namespace, key.Name), out _);
            return true;
        }
    }

    private static bool IsGone(Exception e) => e switch
    {
        KubernetesException k => k.Status?.Code == 410,
        HttpOperationException h => h.Response.StatusCode == HttpStatusCode.Gone,
        _ => false,
    };

    [LoggerMessage(Level = LogLevel.Warning, Message = "Watch of {Resource} still open {Seconds}s after the server should have ended it: taken as hung and resumed")]
    private partial void LogWatchHung(string resource, double seconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Watch of {Resource}: resourceVersion too old, relisting")]
    private partial void LogRelist(string resource);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Watch of {Resource} failed: {Error}; retrying")]
    private partial void LogWatchFailed(string resource, string error);
}

/// <summary>Namespace, name and resourceVersion of a cached object.</summary>
internal readonly record struct ObjectKey(string Namespace, string Name, string? ResourceVersion);

/// <summary>
/// Comparisons of resourceVersions. They are opaque to clients, but every real server (etcd) and the embedded one use
/// increasing integers; the comparisons hold only when both are numbers, and say so otherwise.
/// </summary>
internal static class ResourceVersions
{
    /// <summary>True when both are numbers and <paramref name="candidate"/> is the later.</summary>
    public static bool IsStrictlyNewer(string? candidate, string? current) =>
        long.TryParse(candidate, NumberStyles.None, CultureInfo.InvariantCulture, out var a)
        && long.TryParse(current, NumberStyles.None, CultureInfo.InvariantCulture, out var b)
        && a > b;

    /// <summary>True unless both are numbers and <paramref name="candidate"/> is not the later (anything else is taken as newer).</summary>
    public static bool IsNewer(string? candidate, string? current) =>
        !long.TryParse(candidate, NumberStyles.None, CultureInfo.InvariantCulture, out var a)
        || !long.TryParse(current, NumberStyles.None, CultureInfo.InvariantCulture, out var b)
        || a > b;
}
