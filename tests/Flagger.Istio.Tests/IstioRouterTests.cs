using System.Text.Json.Nodes;
using Flagger.Model;
using Flagger.Routing;
using k8s;
using k8s.Models;
using Microsoft.Extensions.DependencyInjection;
using Snapshooter.Xunit3;

namespace Flagger.Istio.Tests;

/// <summary>The router against the embedded API server, through the real KubernetesClient.</summary>
public sealed class IstioRouterTests(IstioCluster istio)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Walkthrough_canary_gets_a_VirtualService_and_two_DestinationRules()
    {
        var canary = await istio.ApplyAsync(Canaries.Walkthrough("walkthrough"));
        using var services = istio.Services(o => o.ApiVersion = IstioRouterOptions.V1Alpha3);

        await Router(services).ReconcileAsync(canary, Ct);

        Snapshot.Match(await istio.SnapshotAsync(canary, "v1alpha3"));
        Assert.Equal(TrafficRoutes.AllToPrimary, await Router(services).GetRoutesAsync(canary, Ct));
    }

    [Fact]
    public async Task A_B_testing_routes_matched_requests_to_the_canary_and_the_rest_to_the_primary()
    {
        var canary = await istio.ApplyAsync(Canaries.ABTesting("ab-testing"));
        using var services = istio.Services();
        var router = Router(services);

        await router.ReconcileAsync(canary, Ct);
        await router.SetRoutesAsync(canary, TrafficRoutes.AllToCanary, Ct);

        Snapshot.Match(await istio.SnapshotAsync(canary));
        Assert.Equal(TrafficRoutes.AllToCanary, await router.GetRoutesAsync(canary, Ct));
    }

    [Fact]
    public async Task Mirroring_copies_a_share_of_primary_traffic_to_the_canary()
    {
        var canary = await istio.ApplyAsync(Canaries.Mirror("mirror"));
        using var services = istio.Services();
        var router = Router(services);

        await router.ReconcileAsync(canary, Ct);
        await router.SetRoutesAsync(canary, TrafficRoutes.AllToPrimary with { Mirrored = true }, Ct);

        Snapshot.Match(await istio.SnapshotAsync(canary));
        Assert.Equal(TrafficRoutes.AllToPrimary with { Mirrored = true }, await router.GetRoutesAsync(canary, Ct));
    }

    [Fact]
    public async Task Delegation_writes_a_VirtualService_without_hosts_or_gateways()
    {
        var canary = await istio.ApplyAsync(Canaries.Delegate("delegation"));
        using var services = istio.Services(o => o.ApiVersion = IstioRouterOptions.V1);

        await Router(services).ReconcileAsync(canary, Ct);

        Snapshot.Match(await istio.SnapshotAsync(canary, "v1"));
    }

    [Fact]
    public async Task Delegation_with_hosts_is_refused_with_what_to_remove()
    {
        var canary = await istio.ApplyAsync(Canaries.Walkthrough("delegation-hosts", c => c.Service()["delegation"] = true));
        using var services = istio.Services();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => Router(services).ReconcileAsync(canary, Ct));

        Assert.StartsWith("VirtualService podinfo.delegation-hosts cannot have hosts and gateways when delegation is enabled", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_tcp_service_gets_weighted_tcp_routes()
    {
        var canary = await istio.ApplyAsync(Canaries.Tcp("tcp"));
        using var services = istio.Services();
        var router = Router(services);

        await router.ReconcileAsync(canary, Ct);
        await router.SetRoutesAsync(canary, new TrafficRoutes(70, 30), Ct);

        Snapshot.Match(await istio.SnapshotAsync(canary));
        Assert.Equal(new TrafficRoutes(70, 30), await router.GetRoutesAsync(canary, Ct));
    }

    [Fact]
    public async Task Weights_round_trip_and_reconcile_keeps_them_without_writing()
    {
        var canary = await istio.ApplyAsync(Canaries.Walkthrough("weights"));
        using var services = istio.Services();
        var router = Router(services);
        await router.ReconcileAsync(canary, Ct);

        await router.SetRoutesAsync(canary, new TrafficRoutes(60, 40), Ct);
        var written = await ResourceVersionAsync(canary);
        await router.ReconcileAsync(canary, Ct);
        await router.SetRoutesAsync(canary, new TrafficRoutes(60, 40), Ct);

        Assert.Equal(new TrafficRoutes(60, 40), await router.GetRoutesAsync(canary, Ct));
        Assert.Equal(written, await ResourceVersionAsync(canary));
    }

    [Fact]
    public async Task Without_the_watch_cache_a_hand_edit_is_seen_at_once()
    {
        var canary = await istio.ApplyAsync(Canaries.Walkthrough("edited-live"));
        using var services = istio.Services(o => o.UseWatchCache = false);
        var router = Router(services);
        await router.ReconcileAsync(canary, Ct);
        var patch = """{"spec":{"http":[{"route":[{"destination":{"host":"podinfo-primary"},"weight":100}]}]}}""";
        await istio.Client.CustomObjects.PatchNamespacedCustomObjectAsync(new V1Patch(patch, V1Patch.PatchType.MergePatch), "networking.istio.io", "v1beta1", canary.Namespace, "virtualservices", "podinfo", cancellationToken: Ct);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => router.GetRoutesAsync(canary, Ct));

        Assert.StartsWith("VirtualService podinfo.edited-live has no http route to podinfo-canary", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_idle_canary_is_read_from_the_watch_cache()
    {
        var canary = await istio.ApplyAsync(Canaries.Walkthrough("idle-reads"));
        using var services = istio.Services();
        var router = Router(services);
        await router.ReconcileAsync(canary, Ct);
        await router.SetRoutesAsync(canary, new TrafficRoutes(70, 30), Ct);

        // Once the cache has its first list (reads before that go to the server), ticks cost no GETs.
        for (var attempt = 0; await TickGetsAsync() > 0; attempt++)
        {
            Assert.True(attempt < 100, "the cache never answered");
            await Task.Delay(50, Ct);
        }

        for (var tick = 0; tick < 3; tick++)
        {
            Assert.Equal(0, await TickGetsAsync());
        }

        async Task<long> TickGetsAsync()
        {
            var before = Gets();
            await router.ReconcileAsync(canary, Ct);
            var routes = await router.GetRoutesAsync(canary, Ct);
            await router.SetRoutesAsync(canary, routes, Ct);
            return Gets() - before;
        }

        long Gets() => istio.Cluster.Requests.Count("get", "virtualservices") + istio.Cluster.Requests.Count("get", "destinationrules");
    }

    [Fact]
    public async Task An_idle_canary_costs_no_writes()
    {
        var canary = await istio.ApplyAsync(Canaries.ABTesting("idle"));
        using var services = istio.Services();
        var router = Router(services);
        await router.ReconcileAsync(canary, Ct);
        await router.SetRoutesAsync(canary, TrafficRoutes.AllToCanary, Ct);
        var writes = Writes();
        Assert.True(writes >= 4, $"expected the set-up writes to be counted, got {writes}");

        for (var tick = 0; tick < 3; tick++)
        {
            await router.ReconcileAsync(canary, Ct);
            var routes = await router.GetRoutesAsync(canary, Ct);
            await router.SetRoutesAsync(canary, routes, Ct);
        }

        Assert.Equal(writes, Writes());

        long Writes() => istio.Cluster.Requests.Count("create") + istio.Cluster.Requests.Count("update") + istio.Cluster.Requests.Count("patch");
    }

    [Fact]
    public async Task A_changed_service_spec_is_written_and_the_split_kept()
    {
        var canary = await istio.ApplyAsync(Canaries.Walkthrough("changed"));
        using var services = istio.Services();
        var router = Router(services);
        await router.ReconcileAsync(canary, Ct);
        await router.SetRoutesAsync(canary, new TrafficRoutes(80, 20), Ct);

        var changed = canary with { Spec = canary.Spec with { Service = canary.Spec.Service! with { Timeout = "30s" } } };
        await router.ReconcileAsync(changed, Ct);

        var vs = await istio.GetAsync("virtualservices", canary.Namespace, "podinfo");
        Assert.Equal("30s", (string?)vs!["spec"]!["http"]![0]!["timeout"]);
        Assert.Equal(new TrafficRoutes(80, 20), await router.GetRoutesAsync(changed, Ct));
    }

    [Fact]
    public async Task A_VirtualService_edited_by_hand_is_reported_with_what_to_do()
    {
        var canary = await istio.ApplyAsync(Canaries.Walkthrough("edited"));
        using var services = istio.Services();
        var router = Router(services);
        await router.ReconcileAsync(canary, Ct);
        var patch = """{"spec":{"http":[{"route":[{"destination":{"host":"podinfo-primary"},"weight":30},{"destination":{"host":"podinfo-canary"},"weight":30}]}]}}""";
        await istio.Client.CustomObjects.PatchNamespacedCustomObjectAsync(new V1Patch(patch, V1Patch.PatchType.MergePatch), "networking.istio.io", "v1beta1", canary.Namespace, "virtualservices", "podinfo", cancellationToken: Ct);

        // The edit reaches the router through its watch.
        var error = await EventuallyThrowsAsync(() => router.GetRoutesAsync(canary, Ct));

        Assert.Equal(
            "VirtualService podinfo.edited routes 30% to podinfo-primary and 30% to podinfo-canary, which does not add up to 100%; was it edited by hand? Undo the edit, or delete the VirtualService and Flagger recreates it",
            error.Message);
    }

    [Fact]
    public async Task Adopts_a_kubectl_applied_VirtualService_and_restores_it_on_finalize()
    {
        var canary = await istio.ApplyAsync(Canaries.Walkthrough("adopt-kubectl"));
        var original = """{"hosts":["podinfo"],"http":[{"route":[{"destination":{"host":"podinfo"}}]}]}""";
        var applied = $$"""{"apiVersion":"networking.istio.io/v1beta1","kind":"VirtualService","metadata":{"name":"podinfo","namespace":"adopt-kubectl"},"spec":{{original}}}""";
        await CreateUserVirtualServiceAsync(canary, original, new() { ["kubectl.kubernetes.io/last-applied-configuration"] = applied });
        using var services = istio.Services();
        var router = Router(services);

        await router.ReconcileAsync(canary, Ct);
        Assert.Equal(TrafficRoutes.AllToPrimary, await router.GetRoutesAsync(canary, Ct));
        await router.FinalizeAsync(canary, Ct);

        var vs = await istio.GetAsync("virtualservices", canary.Namespace, "podinfo");
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(original), vs!["spec"]));
        Assert.Null(vs["metadata"]!["annotations"]!["flagger.kubernetes.io/original-configuration"]);
    }

    [Fact]
    public async Task Adopts_a_VirtualService_without_kubectl_annotation_by_keeping_its_original_configuration()
    {
        var canary = await istio.ApplyAsync(Canaries.Walkthrough("adopt-plain"));
        var original = """{"hosts":["podinfo"],"exportTo":["."],"http":[{"route":[{"destination":{"host":"podinfo"}}]}]}""";
        await CreateUserVirtualServiceAsync(canary, original, []);
        using var services = istio.Services();
        var router = Router(services);

        await router.ReconcileAsync(canary, Ct);
        var adopted = await istio.GetAsync("virtualservices", canary.Namespace, "podinfo");
        await router.FinalizeAsync(canary, Ct);

        var kept = (string?)adopted!["metadata"]!["annotations"]!["flagger.kubernetes.io/original-configuration"];
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(original), JsonNode.Parse(kept!)));
        Assert.Null(adopted["metadata"]!["ownerReferences"]);
        var restored = await istio.GetAsync("virtualservices", canary.Namespace, "podinfo");
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(original), restored!["spec"]));
    }

    [Fact]
    public async Task Finalize_leaves_a_VirtualService_Flagger_created_to_garbage_collection()
    {
        var canary = await istio.ApplyAsync(Canaries.Walkthrough("finalize-own"));
        using var services = istio.Services();
        var router = Router(services);
        await router.ReconcileAsync(canary, Ct);
        var before = await ResourceVersionAsync(canary);

        await router.FinalizeAsync(canary, Ct);

        Assert.Equal(before, await ResourceVersionAsync(canary));
    }

    [Fact]
    public async Task A_write_that_loses_a_conflict_is_retried_from_a_fresh_read()
    {
        var canary = await istio.ApplyAsync(Canaries.Walkthrough("conflict"));
        using var services = istio.Services();
        var router = Router(services);
        await router.ReconcileAsync(canary, Ct);
        var updates = 0;
        istio.Cluster.Faults.FailRequests(1.0, 409, r => r.Namespace == "conflict" && r.Verb == "update" && Interlocked.Increment(ref updates) == 1);
        try
        {
            await router.SetRoutesAsync(canary, new TrafficRoutes(90, 10), Ct);
        }
        finally
        {
            istio.Cluster.Faults.Reset();
        }

        Assert.Equal(2, updates);
        Assert.Equal(new TrafficRoutes(90, 10), await router.GetRoutesAsync(canary, Ct));
    }

    [Fact]
    public async Task A_missing_VirtualService_is_reported_by_get_routes()
    {
        var canary = await istio.ApplyAsync(Canaries.Walkthrough("missing"));
        using var services = istio.Services();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => Router(services).GetRoutesAsync(canary, Ct));

        Assert.Equal("VirtualService podinfo.missing not found; Flagger creates it when it reconciles the canary", error.Message);
    }

    private static async Task<InvalidOperationException> EventuallyThrowsAsync(Func<Task> call)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await call();
            }
            catch (InvalidOperationException e)
            {
                return e;
            }

            Assert.True(attempt < 100, "the change never reached the router");
            await Task.Delay(50, Ct);
        }
    }

    private static IMeshRouter Router(ServiceProvider services) => services.GetRequiredKeyedService<IMeshRouter>("istio");

    private async Task<string?> ResourceVersionAsync(Canary canary) =>
        (string?)(await istio.GetAsync("virtualservices", canary.Namespace, canary.GetServiceName()))!["metadata"]!["resourceVersion"];

    private async Task CreateUserVirtualServiceAsync(Canary canary, string spec, Dictionary<string, string> annotations)
    {
        var body = new JsonObject
        {
            ["apiVersion"] = "networking.istio.io/v1beta1",
            ["kind"] = "VirtualService",
            ["metadata"] = new JsonObject { ["name"] = "podinfo", ["namespace"] = canary.Namespace, ["annotations"] = JsonNode.Parse(KubernetesJson.Serialize(annotations)) },
            ["spec"] = JsonNode.Parse(spec),
        };
        await istio.Client.CustomObjects.CreateNamespacedCustomObjectAsync(body, "networking.istio.io", "v1beta1", canary.Namespace, "virtualservices", cancellationToken: Ct);
    }
}
