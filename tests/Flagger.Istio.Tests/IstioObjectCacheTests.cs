using Flagger.Routing;
using k8s;
using k8s.Models;
using Microsoft.Extensions.DependencyInjection;

namespace Flagger.Istio.Tests;

/// <summary>
/// The watch-fed cache keeps up when its watch is dropped, when history is compacted, and on deletion. Each test
/// has its own cluster: dropping watches on the shared one would disturb the other classes' caches.
/// </summary>
public sealed class IstioObjectCacheTests
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
            return await router.GetRoutesAsync(canary, Ct) == TrafficRoutes.AllToPrimary;
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
