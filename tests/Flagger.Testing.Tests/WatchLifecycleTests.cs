using System.Diagnostics;
using System.Net;
using k8s;
using k8s.Models;

namespace Flagger.Testing.Tests;

/// <summary>
/// When a watch answers, bookmarks and ends, as clients with their own deadlines (kubectl wait, the Python
/// client's timeouts) rely on. Watch timeouts run on the wall clock, as the clients' own do.
/// </summary>
public sealed class WatchLifecycleTests
{
    [Fact]
    public async Task A_quiet_watch_answers_its_headers_at_once()
    {
        await using var cluster = await TestCluster.StartAsync();
        using var http = new HttpClient { BaseAddress = cluster.BaseAddress };

        // No event is pending and the watch would run for five minutes: only flushed headers can answer this.
        using var response = await http.GetAsync("/api/v1/namespaces/default/configmaps?watch=true&timeoutSeconds=300", HttpCompletionOption.ResponseHeadersRead, TestCluster.Ct)
            .WaitAsync(TimeSpan.FromSeconds(20), TestCluster.Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task A_quiet_watch_ends_at_its_timeoutSeconds_after_a_bookmark()
    {
        await using var cluster = await TestCluster.StartAsync();
        using var client = cluster.CreateClient();
        var list = await client.CoreV1.ListNamespacedConfigMapAsync("default", cancellationToken: TestCluster.Ct);

        var clock = Stopwatch.StartNew();
        var seen = new List<(WatchEventType Type, string? ResourceVersion)>();
        await foreach (var (type, item) in client.CoreV1.WatchListNamespacedConfigMapAsync("default", resourceVersion: list.Metadata.ResourceVersion,
                           allowWatchBookmarks: true, timeoutSeconds: 2, onError: e => Assert.Fail(e.ToString()), cancellationToken: TestCluster.Ct))
        {
            seen.Add((type, item.Metadata.ResourceVersion));
        }

        // The last bookmark goes out two seconds before the deadline (here: at once), and the stream ends on time.
        Assert.Equal([(WatchEventType.Bookmark, list.Metadata.ResourceVersion)], seen);
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(1.5), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task A_bookmark_follows_the_events_queued_before_it()
    {
        await using var cluster = await EmbeddedCluster.StartAsync(new EmbeddedClusterOptions { BookmarkInterval = TimeSpan.FromMilliseconds(20) }, TestCluster.Ct);
        using var client = cluster.CreateClient();
        var list = await client.CoreV1.ListNamespacedConfigMapAsync("default", cancellationToken: TestCluster.Ct);
        for (var i = 0; i < 20; i++)
        {
            await client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = $"m{i}" } }, "default", cancellationToken: TestCluster.Ct);
        }

        var last = 0L;
        var created = 0;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestCluster.Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(20));
        await foreach (var (type, item) in client.CoreV1.WatchListNamespacedConfigMapAsync("default", resourceVersion: list.Metadata.ResourceVersion,
                           allowWatchBookmarks: true, cancellationToken: timeout.Token))
        {
            var rv = long.Parse(item.Metadata.ResourceVersion, System.Globalization.CultureInfo.InvariantCulture);
            // A client resuming from any bookmark must not miss an event: versions never go backwards.
            Assert.True(rv >= last, $"{type} at {rv} after {last}");
            last = rv;
            created += type == WatchEventType.Added ? 1 : 0;
            if (type == WatchEventType.Bookmark && created == 20)
            {
                break;
            }
        }

        Assert.Equal(20, created);
    }

    [Fact]
    public async Task An_invalid_timeoutSeconds_is_a_400()
    {
        await using var cluster = await TestCluster.StartAsync();
        using var http = new HttpClient { BaseAddress = cluster.BaseAddress };

        using var response = await http.GetAsync("/api/v1/namespaces/default/configmaps?watch=true&timeoutSeconds=soon", TestCluster.Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("timeoutSeconds", await response.Content.ReadAsStringAsync(TestCluster.Ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Kubectl_wait_on_an_already_met_condition_returns_within_two_seconds()
    {
        await using var cluster = await TestCluster.StartAsync();
        using var kubectl = new Kubectl(cluster);
        await kubectl.RunAsync("create", "namespace", "test");
        var canary = Path.Combine(Path.GetTempPath(), $"canary-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(canary, """
            apiVersion: flagger.app/v1beta1
            kind: Canary
            metadata:
              name: podinfo
              namespace: test
            spec:
              targetRef: {apiVersion: apps/v1, kind: Deployment, name: podinfo}
              service: {port: 9898}
              analysis: {interval: 1m, threshold: 5, maxWeight: 50, stepWeight: 10}
            """, TestCluster.Ct);
        try
        {
            await kubectl.RunAsync("apply", "-f", canary);
        }
        finally
        {
            File.Delete(canary);
        }

        await kubectl.RunAsync("-n", "test", "patch", "canary", "podinfo", "--subresource=status", "--type=merge", "-p",
            """{"status":{"phase":"Succeeded","conditions":[{"type":"Promoted","status":"True","reason":"Succeeded","message":"Canary analysis completed successfully, promotion finished.","lastUpdateTime":"2026-01-16T14:00:00Z","lastTransitionTime":"2026-01-16T14:00:00Z"}]}}""");

        var clock = Stopwatch.StartNew();
        var output = await kubectl.RunAsync("-n", "test", "wait", "canary/podinfo", "--for=condition=promoted", "--timeout=10s");

        Assert.Contains("canary.flagger.app/podinfo condition met", output, StringComparison.Ordinal);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"kubectl wait took {clock.Elapsed.TotalSeconds:0.0} s on a quiet cluster");
    }

    [Fact]
    public async Task Kubectl_get_watch_prints_each_change()
    {
        await using var cluster = await TestCluster.StartAsync();
        using var client = cluster.CreateClient();
        await client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "first" } }, "default", cancellationToken: TestCluster.Ct);
        await using var watching = KubectlProcess.Start(cluster, false, "get", "configmaps", "-w");
        await watching.WaitForOutputAsync("first");

        await client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "second" }, Data = new Dictionary<string, string> { ["k"] = "v" } }, "default", cancellationToken: TestCluster.Ct);
        await watching.WaitForOutputAsync("second");

        Assert.Matches(@"(?m)^NAME\s+DATA\s+AGE$", watching.Output);
        Assert.Matches(@"(?m)^second\s+1\s+", watching.Output);
    }
}
