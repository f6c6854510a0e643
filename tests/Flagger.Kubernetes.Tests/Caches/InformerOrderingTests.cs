using System.Threading.Channels;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Flagger.Kubernetes.Caches;

/// <summary>
/// The watch and this process's writes are two connections, so a write's answer and a deletion can arrive in either
/// order: the cache must end up as the server is.
/// </summary>
public sealed class InformerOrderingTests
{
    [Fact]
    public async Task A_write_answered_before_a_deletion_the_watch_delivered_first_does_not_bring_the_object_back()
    {
        await using var watched = await WatchedAsync();

        watched.Events.Writer.TryWrite((WatchEventType.Added, Map("web", "11")));
        await WaitAsync(() => watched.Informer.Get("apps", "web") is not null);
        watched.Events.Writer.TryWrite((WatchEventType.Deleted, Map("web", "13")));
        await WaitAsync(() => watched.Informer.Get("apps", "web") is null);

        // This process's update (answered with version 12, before the deletion) is written through late.
        watched.Informer.Upsert(Map("web", "12"));

        Assert.Null(watched.Informer.Get("apps", "web"));
        Assert.Equal(1, watched.Informer.RememberedDeletions);

        // A re-creation after the deletion is newer than it, and is kept.
        watched.Informer.Upsert(Map("web", "14"));
        Assert.Equal("14", watched.Informer.Get("apps", "web")?.Metadata.ResourceVersion);
    }

    [Fact]
    public async Task A_deletion_the_watch_delivers_after_this_process_recreated_the_object_leaves_the_new_one()
    {
        await using var watched = await WatchedAsync();
        var changes = new List<(WatchEventType, string)>();
        watched.Informer.Changed += (type, map) =>
        {
            lock (changes)
            {
                changes.Add((type, map.Metadata.ResourceVersion));
            }
        };
        watched.Events.Writer.TryWrite((WatchEventType.Added, Map("web", "11")));
        await WaitAsync(() => watched.Informer.Get("apps", "web") is not null);

        // Deleted (13) and created again by this process (14) before the watch has delivered the deletion.
        watched.Informer.Upsert(Map("web", "14"));
        watched.Events.Writer.TryWrite((WatchEventType.Deleted, Map("web", "13")));
        watched.Events.Writer.TryWrite((WatchEventType.Added, Map("sentinel", "15")));
        await WaitAsync(() => watched.Informer.Get("apps", "sentinel") is not null);

        Assert.Equal("14", watched.Informer.Get("apps", "web")?.Metadata.ResourceVersion);
        lock (changes)
        {
            // No Deleted for an object that exists: a listener (the canary feed) would drop it and never hear of it again.
            Assert.Equal([(WatchEventType.Added, "11"), (WatchEventType.Added, "15")], changes);
        }
    }

    [Fact]
    public async Task A_watch_event_older_than_a_write_of_this_process_does_not_take_the_cache_back()
    {
        await using var watched = await WatchedAsync();
        watched.Events.Writer.TryWrite((WatchEventType.Added, Map("sentinel", "10")));
        await WaitAsync(() => watched.Informer.Get("apps", "sentinel") is not null);

        // Created (11) and updated (12) by this process before the watch delivers the creation.
        watched.Informer.Upsert(Map("route", "11"));
        var written = watched.Informer.Upsert(Map("route", "12"));
        watched.Events.Writer.TryWrite((WatchEventType.Added, Map("route", "11")));
        watched.Events.Writer.TryWrite((WatchEventType.Modified, Map("sentinel", "13")));
        await WaitAsync(() => watched.Informer.Get("apps", "sentinel")?.Metadata.ResourceVersion == "13");

        Assert.Same(written, watched.Informer.Get("apps", "route"));
    }

    [Fact]
    public async Task Deletions_are_remembered_for_ten_minutes_not_for_ever()
    {
        await using var watched = await WatchedAsync();
        watched.Events.Writer.TryWrite((WatchEventType.Deleted, Map("old", "11")));
        await WaitAsync(() => watched.Informer.RememberedDeletions == 1);

        watched.Clock.Advance(Informer<V1ConfigMap>.DeletionMemory + TimeSpan.FromMinutes(1));
        watched.Events.Writer.TryWrite((WatchEventType.Deleted, Map("new", "12")));
        watched.Events.Writer.TryWrite((WatchEventType.Added, Map("sentinel", "13")));
        await WaitAsync(() => watched.Informer.Get("apps", "sentinel") is not null);
        Assert.Equal(1, watched.Informer.RememberedDeletions);

        // The expired deletion no longer refuses an older write; the recent one still does.
        Assert.Same(watched.Informer.Upsert(Map("old", "10")), watched.Informer.Get("apps", "old"));
        watched.Informer.Upsert(Map("new", "10"));
        Assert.Null(watched.Informer.Get("apps", "new"));
    }

    private static async Task WaitAsync(Func<bool> condition)
    {
        for (var waited = 0; !condition(); waited += 5)
        {
            Assert.True(waited < 10_000, "the informer never got there");
            await Task.Delay(5, KubeCluster.Ct);
        }
    }

    private static V1ConfigMap Map(string name, string version) =>
        new() { Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "apps", ResourceVersion = version } };

    private static async Task<Watched> WatchedAsync()
    {
        var events = Channel.CreateUnbounded<(WatchEventType, V1ConfigMap)>();
        var clock = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        var informer = new Informer<V1ConfigMap>(
            "configmaps",
            _ => Task.FromResult<(IReadOnlyList<V1ConfigMap>, string)>(([], "10")),
            (_, _, ct) => events.Reader.ReadAllAsync(ct),
            c => ClusterCache.Key(c.Metadata),
            NullLogger.Instance);
        var stop = new CancellationTokenSource();
        var running = informer.RunAsync(clock, stop.Token);
        await informer.Synced.WaitAsync(TimeSpan.FromSeconds(10), KubeCluster.Ct);
        return new Watched(informer, events, clock, stop, running);
    }

    private sealed record Watched(Informer<V1ConfigMap> Informer, Channel<(WatchEventType, V1ConfigMap)> Events, FakeTimeProvider Clock, CancellationTokenSource Stop, Task Running) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Stop.CancelAsync();
            await Running;
            Stop.Dispose();
        }
    }
}
