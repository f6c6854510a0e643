using k8s;
using k8s.Models;

namespace Flagger.Testing.Tests;

/// <summary>Watch semantics clients and informers depend on, through the real KubernetesClient.</summary>
public sealed class WatchTests
{
    private static V1ConfigMap Map(string name, string tier = "web") =>
        new() { Metadata = new V1ObjectMeta { Name = name, Labels = new Dictionary<string, string> { ["tier"] = tier } } };

    private static async Task<List<(WatchEventType Type, string Name)>> CollectAsync(
        IAsyncEnumerable<(WatchEventType, V1ConfigMap)> stream, int count, CancellationToken ct)
    {
        var seen = new List<(WatchEventType, string)>();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        await foreach (var (type, item) in stream.WithCancellation(timeout.Token))
        {
            seen.Add((type, item.Metadata.Name));
            if (seen.Count == count)
            {
                break;
            }
        }

        return seen;
    }

    [Fact]
    public async Task Watch_from_a_list_resource_version_sees_changes_in_order()
    {
        await using var cluster = await TestCluster.StartAsync();
        using var client = cluster.CreateClient();
        await client.CoreV1.CreateNamespacedConfigMapAsync(Map("before"), "default", cancellationToken: TestCluster.Ct);
        var list = await client.CoreV1.ListNamespacedConfigMapAsync("default", cancellationToken: TestCluster.Ct);

        var stream = client.CoreV1.WatchListNamespacedConfigMapAsync("default", resourceVersion: list.Metadata.ResourceVersion, onError: e => Assert.Fail(e.ToString()), cancellationToken: TestCluster.Ct);
        var collecting = CollectAsync(stream, 3, TestCluster.Ct);
        await WaitForWatchAsync(cluster);
        await client.CoreV1.CreateNamespacedConfigMapAsync(Map("a"), "default", cancellationToken: TestCluster.Ct);
        await client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch("""{"data":{"k":"v"}}""", V1Patch.PatchType.MergePatch), "a", "default", cancellationToken: TestCluster.Ct);
        await client.CoreV1.DeleteNamespacedConfigMapAsync("a", "default", cancellationToken: TestCluster.Ct);

        Assert.Equal([(WatchEventType.Added, "a"), (WatchEventType.Modified, "a"), (WatchEventType.Deleted, "a")], await collecting);
    }

    [Fact]
    public async Task Watch_resumes_from_a_resource_version_and_replays_what_was_missed()
    {
        await using var cluster = await TestCluster.StartAsync();
        using var client = cluster.CreateClient();
        var first = await client.CoreV1.CreateNamespacedConfigMapAsync(Map("a"), "default", cancellationToken: TestCluster.Ct);
        await client.CoreV1.CreateNamespacedConfigMapAsync(Map("b"), "default", cancellationToken: TestCluster.Ct);
        await client.CoreV1.DeleteNamespacedConfigMapAsync("a", "default", cancellationToken: TestCluster.Ct);

        var stream = client.CoreV1.WatchListNamespacedConfigMapAsync("default", resourceVersion: first.Metadata.ResourceVersion, cancellationToken: TestCluster.Ct);
        Assert.Equal([(WatchEventType.Added, "b"), (WatchEventType.Deleted, "a")], await CollectAsync(stream, 2, TestCluster.Ct));
    }

    [Fact]
    public async Task Watch_from_a_compacted_resource_version_reports_410_gone()
    {
        await using var cluster = await TestCluster.StartAsync();
        using var client = cluster.CreateClient();
        var first = await client.CoreV1.CreateNamespacedConfigMapAsync(Map("a"), "default", cancellationToken: TestCluster.Ct);
        await client.CoreV1.CreateNamespacedConfigMapAsync(Map("b"), "default", cancellationToken: TestCluster.Ct);
        cluster.CompactWatchHistory();

        Exception? error = null;
        var stream = client.CoreV1.WatchListNamespacedConfigMapAsync("default", resourceVersion: first.Metadata.ResourceVersion, onError: e => error = e, cancellationToken: TestCluster.Ct);
        await foreach (var _ in stream)
        {
            Assert.Fail("no event expected");
        }

        var gone = Assert.IsType<KubernetesException>(error);
        Assert.Equal(410, gone.Status.Code);
        Assert.Equal("Expired", gone.Status.Reason);
    }

    [Fact]
    public async Task Watch_without_resource_version_starts_with_the_current_objects_and_sends_bookmarks()
    {
        await using var cluster = await EmbeddedCluster.StartAsync(new EmbeddedClusterOptions { BookmarkInterval = TimeSpan.FromMilliseconds(50) }, TestCluster.Ct);
        using var client = cluster.CreateClient();
        await client.CoreV1.CreateNamespacedConfigMapAsync(Map("a"), "default", cancellationToken: TestCluster.Ct);

        var stream = client.CoreV1.WatchListNamespacedConfigMapAsync("default", allowWatchBookmarks: true, cancellationToken: TestCluster.Ct);
        var seen = await CollectAsync(stream, 2, TestCluster.Ct);
        Assert.Equal((WatchEventType.Added, "a"), seen[0]);
        Assert.Equal(WatchEventType.Bookmark, seen[1].Type);
    }

    [Fact]
    public async Task Label_selected_watch_sees_objects_leave_the_selection_as_deleted()
    {
        await using var cluster = await TestCluster.StartAsync();
        using var client = cluster.CreateClient();
        var stream = client.CoreV1.WatchListNamespacedConfigMapAsync("default", labelSelector: "tier=web", cancellationToken: TestCluster.Ct);
        var collecting = CollectAsync(stream, 2, TestCluster.Ct);
        await WaitForWatchAsync(cluster);
        await client.CoreV1.CreateNamespacedConfigMapAsync(Map("a"), "default", cancellationToken: TestCluster.Ct);
        await client.CoreV1.CreateNamespacedConfigMapAsync(Map("db", "db"), "default", cancellationToken: TestCluster.Ct);
        await client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch("""{"metadata":{"labels":{"tier":"db"}}}""", V1Patch.PatchType.MergePatch), "a", "default", cancellationToken: TestCluster.Ct);

        Assert.Equal([(WatchEventType.Added, "a"), (WatchEventType.Deleted, "a")], await collecting);
    }

    [Fact]
    public async Task Dropped_watches_end_the_stream_so_clients_must_resume()
    {
        await using var cluster = await TestCluster.StartAsync();
        using var client = cluster.CreateClient();
        // KubernetesClient throws (EndOfStream) when a watch ends before its first line, so give it one.
        await client.CoreV1.CreateNamespacedConfigMapAsync(Map("a"), "default", cancellationToken: TestCluster.Ct);
        var stream = client.CoreV1.WatchListNamespacedConfigMapAsync("default", cancellationToken: TestCluster.Ct);
        var first = new TaskCompletionSource();
        var draining = Task.Run(async () =>
        {
            await foreach (var _ in stream)
            {
                first.TrySetResult();
            }
        }, TestCluster.Ct);
        await first.Task.WaitAsync(TimeSpan.FromSeconds(10), TestCluster.Ct);
        cluster.Faults.DropWatches();
        await draining.WaitAsync(TimeSpan.FromSeconds(10), TestCluster.Ct);
        Assert.Equal(0, cluster.ActiveWatches);
    }

    internal static async Task WaitForWatchAsync(EmbeddedCluster cluster, int count = 1)
    {
        for (var i = 0; i < 200 && cluster.ActiveWatches < count; i++)
        {
            await Task.Delay(10, TestCluster.Ct);
        }

        Assert.True(cluster.ActiveWatches >= count, "the watch never started");
    }
}
