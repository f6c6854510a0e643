using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;

namespace Flagger.Kubernetes.Caches;

/// <summary>The caches list in pages, keep only the metadata of ConfigMaps and Secrets, and start over when a page's token expires.</summary>
public sealed class ClusterCachePagingTests
{
    [Fact]
    public async Task Every_resource_is_listed_in_pages_and_Secrets_in_smaller_ones()
    {
        await using var cluster = await Flagger.Testing.EmbeddedCluster.StartAsync(KubeCluster.Ct);
        using var client = cluster.CreateClient();
        await CreateAsync(client, secrets: ClusterCache.SecretPageSize * 2 + 5, configMaps: ClusterCache.PageSize + 1);
        await CreateCanariesAsync(client, ClusterCache.PageSize + 1);
        await using var cache = new ClusterCache(client, null, TimeProvider.System, NullLogger.Instance);

        await cache.SyncAsync(KubeCluster.Ct);

        Assert.Equal(3, cluster.Requests.Count("list", "secrets"));
        Assert.Equal(2, cluster.Requests.Count("list", "configmaps"));
        Assert.Equal(2, cluster.Requests.Count("list", "canaries"));
        Assert.Equal(ClusterCache.SecretPageSize * 2 + 5, cache.Secrets.List().Count(s => s.NamespaceProperty == "many"));
        Assert.Equal(ClusterCache.PageSize + 1, cache.ConfigMaps.List().Count(c => c.NamespaceProperty == "many"));
        Assert.Equal(ClusterCache.PageSize + 1, cache.Canaries.Count);
    }

    [Fact]
    public async Task ConfigMaps_and_Secrets_are_listed_and_watched_as_metadata_so_their_data_never_crosses_the_wire()
    {
        await using var cluster = await Flagger.Testing.EmbeddedCluster.StartAsync(KubeCluster.Ct);
        var payload = Convert.ToBase64String(new byte[20_000]);
        using (var setup = cluster.CreateClient())
        {
            await setup.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "many" } }, cancellationToken: KubeCluster.Ct);
            for (var i = 0; i < 30; i++)
            {
                await setup.CoreV1.CreateNamespacedSecretAsync(new V1Secret { Metadata = new V1ObjectMeta { Name = $"big-{i}" }, StringData = new Dictionary<string, string> { ["blob"] = payload } }, "many", cancellationToken: KubeCluster.Ct);
                await setup.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = $"big-{i}" }, Data = new Dictionary<string, string> { ["blob"] = payload } }, "many", cancellationToken: KubeCluster.Ct);
            }
        }

        var accepts = new System.Collections.Concurrent.ConcurrentQueue<string>();
        cluster.Faults.AddLatency(TimeSpan.Zero, r =>
        {
            // A latency rule that never applies: the hook that sees every request.
            if (r is { Resource: "secrets" or "configmaps", Verb: "list" or "watch" })
            {
                accepts.Enqueue($"{r.Verb} {r.Accept}");
            }

            return false;
        });
        var counter = new ResponseBytes();
        using var client = new k8s.Kubernetes(cluster.CreateClientConfiguration(), counter);
        await using var cache = new ClusterCache(client, null, TimeProvider.System, NullLogger.Instance);

        await cache.SyncAsync(KubeCluster.Ct);
        using (var writer = cluster.CreateClient())
        {
            await writer.CoreV1.PatchNamespacedSecretAsync(new V1Patch("""{"metadata":{"labels":{"seen":"yes"}}}""", V1Patch.PatchType.MergePatch), "big-7", "many", cancellationToken: KubeCluster.Ct);
        }

        for (var waited = 0; cache.Secrets.Get("many", "big-7")?.Labels?.ContainsKey("seen") != true; waited += 20)
        {
            Assert.True(waited < 10_000, "the watch never brought the change");
            await Task.Delay(20, KubeCluster.Ct);
        }

        Assert.Equal(30, cache.Secrets.List().Count(s => s.NamespaceProperty == "many"));
        Assert.Equal(30, cache.ConfigMaps.List().Count(c => c.NamespaceProperty == "many"));

        // 60 objects of 27 KB of data each: a whole list would be 1.6 MB, their metadata is a few hundred bytes each.
        Assert.InRange(counter.Listed("secrets") + counter.Listed("configmaps"), 1, 60 * 1_000);
        Assert.Contains(accepts, a => a.StartsWith("watch ", StringComparison.Ordinal));
        Assert.All(accepts, a => Assert.Contains(a.StartsWith("list ", StringComparison.Ordinal) ? "as=PartialObjectMetadataList;g=meta.k8s.io;v=v1" : "as=PartialObjectMetadata;g=meta.k8s.io;v=v1", a, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_continue_token_that_expires_mid_list_starts_the_list_over_after_a_backoff()
    {
        await using var cluster = await Flagger.Testing.EmbeddedCluster.StartAsync(KubeCluster.Ct);
        using var client = cluster.CreateClient();
        await CreateAsync(client, secrets: ClusterCache.SecretPageSize + 1, configMaps: 0);

        // The second Secret list request (the first continued page) answers 410 Expired, as after a compaction.
        var secretLists = 0;
        cluster.Faults.FailRequests(1.0, 410, r => r.Verb == "list" && r.Resource == "secrets" && Interlocked.Increment(ref secretLists) == 2);
        var wallClock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var cache = new ClusterCache(client, null, wallClock, NullLogger.Instance);

        var sync = cache.SyncAsync(KubeCluster.Ct);
        for (var waited = 0; Volatile.Read(ref secretLists) < 2; waited += 10)
        {
            Assert.True(waited < 10_000, "the second page was never asked for");
            await Task.Delay(10, KubeCluster.Ct);
        }

        // Nothing is listed again until the backoff has passed on the wall clock.
        Assert.False(sync.IsCompleted);
        for (var waited = 0; !sync.IsCompleted; waited += 10)
        {
            Assert.True(waited < 10_000, $"the Secrets were not listed again ({Volatile.Read(ref secretLists)} list requests)");
            wallClock.Advance(TimeSpan.FromMilliseconds(50));
            await Task.Delay(10, KubeCluster.Ct);
        }

        await sync;
        Assert.Equal(4, Volatile.Read(ref secretLists));
        Assert.Equal(ClusterCache.SecretPageSize + 1, cache.Secrets.List().Count(s => s.NamespaceProperty == "many"));
    }

    [Fact]
    public void Cached_metadata_keeps_neither_managedFields_nor_the_copy_in_kubectls_last_applied_annotation()
    {
        var metadata = new V1ObjectMeta
        {
            Name = "db",
            Annotations = new Dictionary<string, string> { ["kubectl.kubernetes.io/last-applied-configuration"] = """{"data":{"password":"aHVudGVyMg=="}}""", ["team"] = "a" },
            ManagedFields = [new V1ManagedFieldsEntry { Manager = "kubectl", Operation = "Apply" }],
        };

        var slim = ClusterCache.Slim(metadata)!;

        Assert.Null(slim.ManagedFields);
        Assert.Equal(new Dictionary<string, string> { ["team"] = "a" }, slim.Annotations);
        Assert.NotNull(metadata.ManagedFields);
        Assert.Equal(2, metadata.Annotations.Count);
    }

    [Fact]
    public void The_streamed_checksum_is_the_config_trackers_checksum_byte_for_byte()
    {
        var random = new Random(18);
        var large = new byte[300_000];
        random.NextBytes(large); // base64 of random bytes has '+' and '/', which the JSON encoder escapes
        Dictionary<string, byte[]>[] cases =
        [
            [],
            new() { ["b"] = "two"u8.ToArray(), ["a"] = "one"u8.ToArray(), ["é<key>"] = [0xfb, 0xff, 0xfe] },
            new() { ["blob"] = large, ["empty"] = [] },
        ];

        foreach (var data in cases)
        {
            var expected = Flagger.Model.SpecHash.ComputeConfigChecksum(data.ToDictionary(kv => kv.Key, kv => Convert.ToBase64String(kv.Value), StringComparer.Ordinal));
            Assert.Equal(expected, SecretDigest.Compute(data));
        }

        Assert.Equal(Flagger.Model.SpecHash.ComputeConfigChecksum(null), SecretDigest.Compute(null));
    }

    private static async Task CreateAsync(IKubernetes client, int secrets, int configMaps)
    {
        await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "many" } }, cancellationToken: KubeCluster.Ct);
        await Parallel.ForAsync(0, Math.Max(secrets, configMaps), new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = KubeCluster.Ct }, async (i, ct) =>
        {
            if (i < secrets)
            {
                await client.CoreV1.CreateNamespacedSecretAsync(new V1Secret { Metadata = new V1ObjectMeta { Name = $"secret-{i:0000}" }, StringData = new Dictionary<string, string> { ["value"] = $"{i}" } }, "many", cancellationToken: ct);
            }

            if (i < configMaps)
            {
                await client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = $"config-{i:0000}" } }, "many", cancellationToken: ct);
            }
        });
    }

    private static Task CreateCanariesAsync(IKubernetes client, int count) =>
        Parallel.ForAsync(0, count, new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = KubeCluster.Ct }, async (i, ct) =>
            await client.CustomObjects.CreateNamespacedCustomObjectAsync(
                new { apiVersion = "flagger.app/v1beta1", kind = "Canary", metadata = new { name = $"app-{i:0000}" }, spec = new { targetRef = new { apiVersion = "apps/v1", kind = "Deployment", name = $"app-{i:0000}" }, service = new { port = 80 }, analysis = new { interval = "1m", threshold = 5, maxWeight = 50, stepWeight = 10 } } },
                "flagger.app",
                "v1beta1",
                "many",
                "canaries",
                cancellationToken: ct));

    /// <summary>Counts the bytes of list responses (watch streams pass through untouched), by resource.</summary>
    private sealed class ResponseBytes : DelegatingHandler
    {
        private readonly System.Collections.Concurrent.ConcurrentDictionary<string, long> bytes = new();

        public long Listed(string resource) => bytes.GetValueOrDefault(resource);

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken);
            var path = request.RequestUri!.AbsolutePath;
            if (request.RequestUri.Query.Contains("watch=true", StringComparison.Ordinal))
            {
                return response;
            }

            await response.Content.LoadIntoBufferAsync(cancellationToken);
            var resource = path[(path.LastIndexOf('/') + 1)..];
            bytes.AddOrUpdate(resource, response.Content.Headers.ContentLength ?? 0, (_, n) => n + (response.Content.Headers.ContentLength ?? 0));
            return response;
        }
    }
}
