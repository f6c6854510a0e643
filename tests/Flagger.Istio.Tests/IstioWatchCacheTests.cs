using System.Text.Json.Nodes;
using Flagger.Kubernetes.Caches;
using Flagger.Routing;
using k8s;
using k8s.Models;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Flagger.Istio.Tests;

/// <summary>
/// The watch-fed cache (the Kubernetes package's custom-object informer) keeps up when its watch is dropped or
/// hangs, when history is compacted, and on deletion. Each test has its own cluster: dropping watches on the
/// shared one would disturb the other classes' caches.
/// </summary>
public sealed class IstioWatchCacheTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Changes_after_a_dropped_watch_and_compacted_history_still_arrive()
    {
        await using var istio = new IstioCluster();
        await istio.InitializeAsync();
        var canary = await istio.ApplyAsync(Canaries.Walkthrough("cache-resync"));
        using var services = istio.Services();
        var router = services.GetRequiredKeyedService<IMeshRouter>("istio");
        await router.ReconcileAsync(canary, Ct);
        await router.GetRoutesAsync(canary, Ct);

        istio.Cluster.CompactWatchHistory();
        istio.Cluster.Faults.DropWatches();
        await istio.Client.CustomObjects.PatchNamespacedCustomObjectAsync(
            new V1Patch("""{"spec":{"http":[{"route":[{"destination":{"host":"podinfo-primary"},"weight":50},{"destination":{"host":"podinfo-canary"},"weight":50}]}]}}""", V1Patch.PatchType.MergePatch),
            "networking.istio.io", "v1beta1", canary.Namespace, "virtualservices", "podinfo", cancellationToken: Ct);

        await EventuallyAsync(async () => await router.GetRoutesAsync(canary, Ct) == new TrafficRoutes(50, 50));
    }

    [Fact]
    public async Task A_hung_VirtualService_watch_is_given_up_and_a_GitOps_revert_is_seen_and_corrected()
    {
        await using var istio = new IstioCluster();
        await istio.InitializeAsync();
        var canary = await istio.ApplyAsync(Canaries.Walkthrough("cache-hung"));
        var wallClock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var informers = new CustomObjectInformers(wallClock);
        using var services = istio.Services(informers: informers);
        var router = services.GetRequiredKeyedService<IMeshRouter>("istio");
        await router.ReconcileAsync(canary, Ct);
        await router.SetRoutesAsync(canary, new TrafficRoutes(60, 40), Ct);
        await EventuallyAsync(async () =>
        {
            var before = istio.Cluster.Requests.Count("get", "virtualservices");
            await router.GetRoutesAsync(canary, Ct);
            return istio.Cluster.Requests.Count("get", "virtualservices") == before;
        });

        // From now on a VirtualService watch is accepted and never answered, as behind a proxy that hangs.
        var hang = 1;
        istio.Cluster.Faults.TimeOutRequests(1.0, r => r.Verb == "watch" && r.Resource == "virtualservices" && Volatile.Read(ref hang) == 1);
        istio.Cluster.Faults.DropWatches();

        // A GitOps tool puts back the VirtualService kept in Git, without Flagger's routes.
        await istio.Client.CustomObjects.PatchNamespacedCustomObjectAsync(
            new V1Patch("""{"spec":{"http":[{"route":[{"destination":{"host":"podinfo"}}]}]}}""", V1Patch.PatchType.MergePatch),
            "networking.istio.io", "v1beta1", canary.Namespace, "virtualservices", "podinfo", cancellationToken: Ct);
        await Task.Delay(TimeSpan.FromMilliseconds(500), Ct);
        await router.ReconcileAsync(canary, Ct);
        Assert.Equal("podinfo", Hosts(await istio.GetAsync("virtualservices", canary.Namespace, "podinfo")).Single());

        // Past the informer's deadline (the server's watch timeout and half a minute) the hung watch is given up.
        Volatile.Write(ref hang, 0);
        wallClock.Advance(TimeSpan.FromMinutes(6));

        await EventuallyAsync(async () =>
        {
            await router.ReconcileAsync(canary, Ct);
            await router.SetRoutesAsync(canary, new TrafficRoutes(60, 40), Ct);
            var routes = await istio.GetAsync("virtualservices", canary.Namespace, "podinfo");
            return Hosts(routes).SequenceEqual(["podinfo-primary", "podinfo-canary"])
                && routes!["spec"]!["http"]![0]!["route"]!.AsArray().Select(r => (int?)r!["weight"]).SequenceEqual([60, 40]);
        });

        static IEnumerable<string?> Hosts(JsonNode? service) =>
            service!["spec"]!["http"]![0]!["route"]!.AsArray().Select(r => (string?)r!["destination"]!["host"]);
    }

    [Fact]
    public async Task A_deleted_VirtualService_is_recreated_by_the_next_reconcile()
    {
        await using var istio = new IstioCluster();
        await istio.InitializeAsync();
        var canary = await istio.ApplyAsync(Canaries.Walkthrough("cache-delete"));
        using var services = istio.Services();
        var router = services.GetRequiredKeyedService<IMeshRouter>("istio");
        await router.ReconcileAsync(canary, Ct);
        await router.SetRoutesAsync(canary, new TrafficRoutes(80, 20), Ct);

        await istio.Client.CustomObjects.DeleteNamespacedCustomObjectAsync("networking.istio.io", "v1beta1", canary.Namespace, "virtualservices", "podinfo", cancellationToken: Ct);

        await EventuallyAsync(async () =>
        {
            await router.ReconcileAsync(canary, Ct);
            try
            {
                return await router.GetRoutesAsync(canary, Ct) == TrafficRoutes.AllToPrimary;
            }
            catch (InvalidOperationException e) when (e.Message.Contains("not found", StringComparison.Ordinal))
            {
                // A reconcile that still saw the deleted VirtualService in the cache changed nothing, and the watch's
                // deletion came before this read: the next reconcile creates it.
                return false;
            }
        });
    }

    [Fact]
    public async Task With_a_namespace_the_cache_lists_and_watches_only_that_namespace()
    {
        await using var istio = new IstioCluster();
        await istio.InitializeAsync();
        var canary = await istio.ApplyAsync(Canaries.Walkthrough("cache-scoped"));

        // As under a namespace-scoped Role (-namespace): anything cluster-wide is forbidden.
        istio.Cluster.Faults.FailRequests(1.0, 403, r => r.Group == "networking.istio.io" && r.Namespace is null);
        using var services = istio.Services(o => o.Namespace = canary.Namespace);
        var router = services.GetRequiredKeyedService<IMeshRouter>("istio");
        await router.ReconcileAsync(canary, Ct);
        await router.SetRoutesAsync(canary, new TrafficRoutes(90, 10), Ct);

        await EventuallyAsync(async () =>
        {
            var before = istio.Cluster.Requests.Count("get", "virtualservices");
            await router.GetRoutesAsync(canary, Ct);
            return istio.Cluster.Requests.Count("get", "virtualservices") == before;
        });
        Assert.Equal(new TrafficRoutes(90, 10), await router.GetRoutesAsync(canary, Ct));
    }

    private static async Task EventuallyAsync(Func<Task<bool>> condition)
    {
        for (var attempt = 0; !await condition(); attempt++)
        {
            Assert.True(attempt < 100, "the change never reached the router");
            await Task.Delay(50, Ct);
        }
    }
}
