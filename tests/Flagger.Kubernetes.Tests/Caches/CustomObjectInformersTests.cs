using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Flagger.Kubernetes.Caches;

public sealed class CustomObjectInformersTests
{
    [Fact]
    public async Task An_informer_is_shared_answers_once_listed_and_distrusts_a_forgotten_object_until_it_is_read_again()
    {
        await using var cluster = await Flagger.Testing.EmbeddedCluster.StartAsync(KubeCluster.Ct);
        using var client = cluster.CreateClient();
        await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "apps" } }, cancellationToken: KubeCluster.Ct);
        var body = JsonNode.Parse("""{"apiVersion":"networking.istio.io/v1beta1","kind":"VirtualService","metadata":{"name":"web","namespace":"apps"},"spec":{"hosts":["web"]}}""")!;
        await client.CustomObjects.CreateNamespacedCustomObjectAsync(body, "networking.istio.io", "v1beta1", "apps", "virtualservices", cancellationToken: KubeCluster.Ct);
        await using var informers = new CustomObjectInformers(TimeProvider.System);

        var informer = informers.Get(client, "networking.istio.io", "v1beta1", "virtualservices", null);

        Assert.Same(informer, informers.Get(client, "networking.istio.io", "v1beta1", "virtualservices", string.Empty));
        Assert.Equal("virtualservices.networking.istio.io", informer.Resource);
        JsonElement? found;
        for (var waited = 0; !informer.TryGet("apps", "web", out found); waited += 50)
        {
            Assert.True(waited < 10_000, "the informer never listed");
            await Task.Delay(50, KubeCluster.Ct);
        }

        Assert.Equal("web", found!.Value.GetProperty("metadata").GetProperty("name").GetString());
        Assert.True(informer.TryGet("apps", "missing", out var missing));
        Assert.Null(missing);

        informer.Forget("apps", "web");
        Assert.False(informer.TryGet("apps", "web", out _));

        informer.Remember((JsonElement)await client.CustomObjects.GetNamespacedCustomObjectAsync("networking.istio.io", "v1beta1", "apps", "virtualservices", "web", KubeCluster.Ct));
        Assert.True(informer.TryGet("apps", "web", out var again));
        Assert.NotNull(again);
    }

    [Fact]
    public async Task An_answer_read_before_a_deletion_and_remembered_after_the_watch_saw_it_does_not_bring_the_object_back()
    {
        await using var cluster = await Flagger.Testing.EmbeddedCluster.StartAsync(KubeCluster.Ct);
        using var client = cluster.CreateClient();
        await CreateNamespaceAsync(client, "apps");
        await CreateVirtualServiceAsync(client, "apps", "web");
        await using var informers = new CustomObjectInformers(TimeProvider.System);
        var informer = informers.Get(client, Group, Version, Plural, null);
        await WaitAsync(() => informer.TryGet("apps", "web", out var listed) && listed is not null, "the informer never listed web");

        // A live read (or a write) answered while the object still existed; its answer is handled only after the
        // watch has delivered the deletion, as two connections allow.
        var answered = (JsonElement)await client.CustomObjects.GetNamespacedCustomObjectAsync(Group, Version, "apps", Plural, "web", KubeCluster.Ct);
        await client.CustomObjects.DeleteNamespacedCustomObjectAsync(Group, Version, "apps", Plural, "web", cancellationToken: KubeCluster.Ct);
        await WaitAsync(() => informer.TryGet("apps", "web", out var gone) && gone is null, "the watch never delivered the deletion");
        informer.Remember(answered);

        // No later event would ever take it out again: the cache must not answer with the deleted object.
        Assert.True(informer.TryGet("apps", "web", out var after));
        Assert.Null(after);

        // Created again, it is newer than the deletion: remembered at once, before its own watch event.
        var created = (JsonElement)await CreateVirtualServiceAsync(client, "apps", "web");
        informer.Remember(created);
        Assert.True(informer.TryGet("apps", "web", out var again));
        Assert.Equal(
            created.GetProperty("metadata").GetProperty("uid").GetString(),
            again!.Value.GetProperty("metadata").GetProperty("uid").GetString());
    }

    [Fact]
    public async Task An_answer_remembered_while_the_watch_removes_the_object_goes_with_it()
    {
        await using var cluster = await Flagger.Testing.EmbeddedCluster.StartAsync(KubeCluster.Ct);
        using var client = cluster.CreateClient();
        await CreateNamespaceAsync(client, "apps");
        await CreateVirtualServiceAsync(client, "apps", "web");
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(KubeCluster.Ct);
        var watch = ClusterCache.Custom(client, null, Group, Version, Plural, e => new CachedObject(e.Clone()), o => CustomObjectInformers.Key(o.Element), NullLogger.Instance);
        CustomObjectInformer? informer = null;
        JsonElement? answered = null;

        // Subscribed before the CustomObjectInformer, so it runs once the watch has removed the object and before the
        // CustomObjectInformer hears of the deletion: the narrowest interleaving of a late answer and the watch.
        watch.Changed += (type, _) =>
        {
            if (type == WatchEventType.Deleted && answered is { } late)
            {
                informer!.Remember(late);
            }
        };
        informer = new CustomObjectInformer(watch, null, TimeProvider.System, stop.Token);
        var handled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        watch.Changed += (type, _) =>
        {
            if (type == WatchEventType.Deleted)
            {
                handled.TrySetResult();
            }
        };
        try
        {
            await WaitAsync(() => informer.TryGet("apps", "web", out var listed) && listed is not null, "the informer never listed web");
            answered = (JsonElement)await client.CustomObjects.GetNamespacedCustomObjectAsync(Group, Version, "apps", Plural, "web", KubeCluster.Ct);
            await client.CustomObjects.DeleteNamespacedCustomObjectAsync(Group, Version, "apps", Plural, "web", cancellationToken: KubeCluster.Ct);
            await handled.Task.WaitAsync(TimeSpan.FromSeconds(10), KubeCluster.Ct);

            Assert.True(informer.TryGet("apps", "web", out var after));
            Assert.Null(after);
        }
        finally
        {
            await stop.CancelAsync();
            await informer.Stopped;
        }
    }

    [Fact]
    public async Task An_informer_that_cannot_list_keeps_no_copy_of_what_it_is_told_to_remember()
    {
        // A Role that may read and write VirtualServices but not list them: the informer never lists, so it never
        // answers, and every write's answer it kept would stay for the life of the process, deleted objects too.
        await using var cluster = await Flagger.Testing.EmbeddedCluster.StartAsync(KubeCluster.Ct);
        cluster.Faults.FailRequests(1.0, 403, r => r.Resource == Plural && r.Verb is "list" or "watch");
        using var client = cluster.CreateClient();
        await CreateNamespaceAsync(client, "apps");
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(KubeCluster.Ct);
        var watch = ClusterCache.Custom(client, null, Group, Version, Plural, e => new CachedObject(e.Clone()), o => CustomObjectInformers.Key(o.Element), NullLogger.Instance);
        var informer = new CustomObjectInformer(watch, null, TimeProvider.System, stop.Token);
        try
        {
            Assert.False(informer.TryGet("apps", "web-0", out _));
            for (var i = 0; i < 20; i++)
            {
                informer.Remember((JsonElement)await CreateVirtualServiceAsync(client, "apps", $"web-{i}"));
                await client.CustomObjects.DeleteNamespacedCustomObjectAsync(Group, Version, "apps", Plural, $"web-{i}", cancellationToken: KubeCluster.Ct);
            }

            Assert.False(watch.Synced.IsCompleted);
            Assert.False(informer.TryGet("apps", "web-0", out _));
            Assert.Equal(0, watch.Count);
        }
        finally
        {
            await stop.CancelAsync();
            await informer.Stopped;
        }
    }

    [Fact]
    public async Task An_answer_remembered_before_the_first_list_is_read_live_once_more_after_it()
    {
        await using var cluster = await Flagger.Testing.EmbeddedCluster.StartAsync(KubeCluster.Ct);
        using var client = cluster.CreateClient();
        await CreateNamespaceAsync(client, "apps");
        await CreateVirtualServiceAsync(client, "apps", "web");
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(KubeCluster.Ct);
        var watch = ClusterCache.Custom(client, null, Group, Version, Plural, e => new CachedObject(e.Clone()), o => CustomObjectInformers.Key(o.Element), NullLogger.Instance);
        var informer = new CustomObjectInformer(watch, null, TimeProvider.System, stop.Token);
        try
        {
            // A write answered before the informer has listed (it starts on its first read): the list may have been
            // served before the write, so after it the object is read live once more, and the others are answered.
            var current = (JsonElement)await client.CustomObjects.GetNamespacedCustomObjectAsync(Group, Version, "apps", Plural, "web", KubeCluster.Ct);
            var changed = JsonNode.Parse(current.GetRawText())!;
            changed["spec"]!["hosts"] = new JsonArray("web", "web.apps");
            var written = (JsonElement)await client.CustomObjects.ReplaceNamespacedCustomObjectAsync(changed, Group, Version, "apps", Plural, "web", cancellationToken: KubeCluster.Ct);
            informer.Remember(written);

            Assert.False(informer.TryGet("apps", "web", out _));
            await watch.Synced.WaitAsync(TimeSpan.FromSeconds(10), KubeCluster.Ct);
            Assert.False(informer.TryGet("apps", "web", out _));
            Assert.True(informer.TryGet("apps", "missing", out var missing));
            Assert.Null(missing);

            informer.Remember((JsonElement)await client.CustomObjects.GetNamespacedCustomObjectAsync(Group, Version, "apps", Plural, "web", KubeCluster.Ct));
            Assert.True(informer.TryGet("apps", "web", out var read));
            Assert.Equal(2, read!.Value.GetProperty("spec").GetProperty("hosts").GetArrayLength());
        }
        finally
        {
            await stop.CancelAsync();
            await informer.Stopped;
        }
    }

    [Fact]
    public async Task Deletions_are_remembered_for_ten_minutes_not_for_ever()
    {
        await using var cluster = await Flagger.Testing.EmbeddedCluster.StartAsync(KubeCluster.Ct);
        using var client = cluster.CreateClient();
        await CreateNamespaceAsync(client, "apps");
        for (var i = 0; i < 3; i++)
        {
            await CreateVirtualServiceAsync(client, "apps", $"web-{i}");
        }

        var wallClock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var informers = new CustomObjectInformers(wallClock);
        var informer = informers.Get(client, Group, Version, Plural, null);
        await WaitAsync(() => informer.TryGet("apps", "web-2", out var listed) && listed is not null, "the informer never listed");

        await client.CustomObjects.DeleteNamespacedCustomObjectAsync(Group, Version, "apps", Plural, "web-0", cancellationToken: KubeCluster.Ct);
        await client.CustomObjects.DeleteNamespacedCustomObjectAsync(Group, Version, "apps", Plural, "web-1", cancellationToken: KubeCluster.Ct);
        await WaitAsync(() => informer.RememberedDeletions == 2, "two deletions remembered");

        // Past any request that could still be answering: the next deletion drops them.
        wallClock.Advance(Informer<CachedObject>.DeletionMemory + TimeSpan.FromMinutes(1));
        await client.CustomObjects.DeleteNamespacedCustomObjectAsync(Group, Version, "apps", Plural, "web-2", cancellationToken: KubeCluster.Ct);
        await WaitAsync(() => informer.TryGet("apps", "web-2", out var gone) && gone is null && informer.RememberedDeletions == 1, "only the last deletion remembered");
    }

    [Fact]
    public async Task An_informer_of_one_namespace_does_not_answer_for_another()
    {
        await using var cluster = await Flagger.Testing.EmbeddedCluster.StartAsync(KubeCluster.Ct);
        using var client = cluster.CreateClient();
        await CreateNamespaceAsync(client, "apps");
        await CreateNamespaceAsync(client, "other");
        var elsewhere = (JsonElement)await CreateVirtualServiceAsync(client, "other", "web");
        await using var informers = new CustomObjectInformers(TimeProvider.System);
        var informer = informers.Get(client, Group, Version, Plural, "apps");
        await WaitAsync(() => informer.TryGet("apps", "web", out _), "the informer never listed");

        // It never lists or watches "other": saying web does not exist there would be a guess, and a copy of it
        // remembered from a live read would never be updated.
        Assert.False(informer.TryGet("other", "web", out _));
        informer.Remember(elsewhere);
        Assert.False(informer.TryGet("other", "web", out _));
    }

    private const string Group = "networking.istio.io";
    private const string Version = "v1beta1";
    private const string Plural = "virtualservices";

    private static Task<V1Namespace> CreateNamespaceAsync(IKubernetes client, string name) =>
        client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = name } }, cancellationToken: KubeCluster.Ct);

    private static Task<object> CreateVirtualServiceAsync(IKubernetes client, string @namespace, string name)
    {
        var body = JsonNode.Parse($$$"""{"apiVersion":"networking.istio.io/v1beta1","kind":"VirtualService","metadata":{"name":"{{{name}}}","namespace":"{{{@namespace}}}"},"spec":{"hosts":["{{{name}}}"]}}""")!;
        return client.CustomObjects.CreateNamespacedCustomObjectAsync(body, Group, Version, @namespace, Plural, cancellationToken: KubeCluster.Ct);
    }

    // The informer runs on its own tasks against a real server: wait (in real time, briefly) for it to catch up.
    private static async Task WaitAsync(Func<bool> condition, string what)
    {
        for (var waited = 0; !condition(); waited += 50)
        {
            Assert.True(waited < 10_000, what);
            await Task.Delay(50, KubeCluster.Ct);
        }
    }
}
