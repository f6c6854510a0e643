using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Flagger.Kubernetes.Caches;

/// <summary>A watch that ends in 410 Gone relists, and waits before it as after any other failure.</summary>
public sealed class InformerBackoffTests
{
    [Fact]
    public async Task A_410_relist_backs_off_and_the_wait_grows_while_every_watch_answers_410()
    {
        var wallClock = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        var lists = new List<DateTimeOffset>();
        var informer = new Informer<V1ConfigMap>(
            "configmaps",
            _ =>
            {
                lock (lists)
                {
                    lists.Add(wallClock.GetUtcNow());
                }

                return Task.FromResult<(IReadOnlyList<V1ConfigMap>, string)>(([], "5"));
            },
            Gone,
            c => ClusterCache.Key(c.Metadata),
            NullLogger.Instance);
        using var stop = new CancellationTokenSource();
        var running = informer.RunAsync(wallClock, stop.Token);

        // Virtual time moves in 10 ms steps; each relist's time is when it ran.
        for (var waited = 0; Count() < 5; waited += 5)
        {
            Assert.True(waited < 20_000, $"only {Count()} lists: a relist waited for more than its backoff");
            wallClock.Advance(TimeSpan.FromMilliseconds(10));
            await Task.Delay(5, KubeCluster.Ct);
        }

        await stop.CancelAsync();
        await running;

        DateTimeOffset[] times;
        lock (lists)
        {
            times = [.. lists];
        }

        // Without the backoff every relist ran at the same instant. With it, the k-th gap is at least the
        // shortest backoff after k failures (jitter is ±50 %): 100, 200, 400, 800 ms.
        for (var k = 1; k < 5; k++)
        {
            var gap = times[k] - times[k - 1];
            Assert.True(gap >= Informer<V1ConfigMap>.Backoff(k, 0), $"relist {k} came {gap.TotalMilliseconds} ms after the one before");
        }

        int Count()
        {
            lock (lists)
            {
                return lists.Count;
            }
        }
    }

    [Fact]
    public async Task A_relist_keeps_a_write_of_this_process_newer_than_the_listed_copy()
    {
        var wallClock = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        var listed = 0;
        var informer = new Informer<V1ConfigMap>(
            "configmaps",
            _ =>
            {
                // "gone" is deleted between the first list and the relists.
                IReadOnlyList<V1ConfigMap> items = Interlocked.Increment(ref listed) == 1 ? [Map("podinfo", "5"), Map("gone", "4")] : [Map("podinfo", "5")];
                return Task.FromResult((items, "6"));
            },
            Gone,
            c => ClusterCache.Key(c.Metadata),
            NullLogger.Instance);
        using var stop = new CancellationTokenSource();
        var running = informer.RunAsync(wallClock, stop.Token);
        await informer.Synced.WaitAsync(KubeCluster.Ct);

        // Written after the list was served: an update (version 9) and a create (version 8).
        informer.Upsert(Map("podinfo", "9"));
        informer.Upsert(Map("created", "8"));
        var before = Volatile.Read(ref listed);
        for (var waited = 0; Volatile.Read(ref listed) < before + 2; waited += 5)
        {
            Assert.True(waited < 20_000, "the 410 never led to a relist");
            wallClock.Advance(TimeSpan.FromMilliseconds(10));
            await Task.Delay(5, KubeCluster.Ct);
        }

        await stop.CancelAsync();
        await running;

        Assert.Equal("9", informer.Get("test", "podinfo")?.Metadata.ResourceVersion);
        Assert.Equal("8", informer.Get("test", "created")?.Metadata.ResourceVersion);
        Assert.Null(informer.Get("test", "gone"));
    }

    private static V1ConfigMap Map(string name, string version) =>
        new() { Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "test", ResourceVersion = version } };

    // As the client reports a watch's 410 ERROR event: to onError, then the stream ends.
    private static async IAsyncEnumerable<(WatchEventType, V1ConfigMap)> Gone(string version, Action<Exception> onError, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Task.Yield();
        onError(new KubernetesException(new V1Status { Code = 410, Reason = "Expired", Message = $"too old resource version: {version}" }));
        yield break;
    }
}
