using System.Text.Json.Nodes;
using Flagger.Model;
using Flagger.Routing;
using k8s;
using Snapshooter.Xunit3;
using static Flagger.GatewayApi.Tests.GatewayCluster;

namespace Flagger.GatewayApi.Tests;

/// <summary>The router against the embedded API server, through the real KubernetesClient.</summary>
public sealed class GatewayApiRouterTests(GatewayCluster gateway)
{
    [Fact]
    public async Task Canary_gets_one_HTTPRoute_attached_to_the_gateway_refs_with_its_hosts()
    {
        var canary = await gateway.ApplyAsync(Canaries.Gateway("canary"));
        using var services = gateway.Services();
        var router = Router(services);

        await router.ReconcileAsync(canary, Ct);
        Assert.Equal(TrafficRoutes.AllToPrimary, await router.GetRoutesAsync(canary, Ct));
        await router.SetRoutesAsync(canary, new TrafficRoutes(70, 30), Ct);

        Snapshot.Match(await gateway.SnapshotAsync(canary));
        Assert.Equal(new TrafficRoutes(70, 30), await router.GetRoutesAsync(canary, Ct));
    }

    [Fact]
    public async Task Reconcile_keeps_the_split_the_analysis_reached_and_writes_nothing_when_nothing_changed()
    {
        var canary = await gateway.ApplyAsync(Canaries.Gateway("steady"));
        using var services = gateway.Services();
        var router = Router(services);
        await router.ReconcileAsync(canary, Ct);
        await router.SetRoutesAsync(canary, new TrafficRoutes(80, 20), Ct);
        var before = (await gateway.GetRouteAsync("steady", "podinfo"))["metadata"]!["resourceVersion"]!.GetValue<string>();

        await router.ReconcileAsync(canary, Ct);
        await router.SetRoutesAsync(canary, new TrafficRoutes(80, 20), Ct);

        Assert.Equal(before, (await gateway.GetRouteAsync("steady", "podinfo"))["metadata"]!["resourceVersion"]!.GetValue<string>());
        Assert.Equal(new TrafficRoutes(80, 20), await router.GetRoutesAsync(canary, Ct));
    }

    [Fact]
    public async Task An_idle_canary_costs_no_API_requests()
    {
        // The cluster is shared by every test class of this assembly, running at once: only requests on this test's
        // namespace count. A latency rule that never applies is the hook that sees each request.
        long requests = 0;
        gateway.Cluster.Faults.AddLatency(TimeSpan.Zero, r =>
        {
            if (r is { Resource: "httproutes", Namespace: "idle", Verb: "get" or "create" or "update" or "patch" })
            {
                Interlocked.Increment(ref requests);
            }

            return false;
        });
        var canary = await gateway.ApplyAsync(Canaries.Gateway("idle"));
        using var services = gateway.Services();
        var router = Router(services);
        await router.ReconcileAsync(canary, Ct);
        await router.SetRoutesAsync(canary, new TrafficRoutes(70, 30), Ct);
        Assert.True(Requests() > 0, "the hook saw none of the requests that created the HTTPRoute");

        // Once the watch cache has its first list (reads before that go to the server), ticks cost no request.
        for (var attempt = 0; await TickRequestsAsync() > 0; attempt++)
        {
            Assert.True(attempt < 400, "the cache never answered");
            await Task.Delay(50, Ct);
        }

        for (var tick = 0; tick < 3; tick++)
        {
            Assert.Equal(0, await TickRequestsAsync());
        }

        Assert.Equal(new TrafficRoutes(70, 30), await router.GetRoutesAsync(canary, Ct));

        async Task<long> TickRequestsAsync()
        {
            var before = Requests();
            await router.ReconcileAsync(canary, Ct);
            var routes = await router.GetRoutesAsync(canary, Ct);
            await router.SetRoutesAsync(canary, routes, Ct);
            return Requests() - before;
        }

        long Requests() => Interlocked.Read(ref requests);
    }

    [Fact]
    public async Task Reconcile_restores_a_rule_edited_by_hand_and_keeps_the_weights()
    {
        var canary = await gateway.ApplyAsync(Canaries.Gateway("drift"));
        using var services = gateway.Services();
        var router = Router(services);
        await router.ReconcileAsync(canary, Ct);
        await router.SetRoutesAsync(canary, new TrafficRoutes(60, 40), Ct);
        var edited = await gateway.GetRouteAsync("drift", "podinfo");
        edited["spec"]!["hostnames"] = new JsonArray("evil.example.com");
        await gateway.ReplaceRouteAsync(edited);

        // The edit reaches the router through its watch.
        for (var attempt = 0; ; attempt++)
        {
            await router.ReconcileAsync(canary, Ct);
            var route = await gateway.GetRouteAsync("drift", "podinfo");
            if (route["spec"]!["hostnames"]![0]!.GetValue<string>() == "www.example.com")
            {
                break;
            }

            Assert.True(attempt < 400, "the edit never reached the router");
            await Task.Delay(50, Ct);
        }

        Assert.Equal(new TrafficRoutes(60, 40), await router.GetRoutesAsync(canary, Ct));
    }

    [Fact]
    public async Task Blue_Green_sends_everything_to_the_canary_after_the_iterations()
    {
        var canary = await gateway.ApplyAsync(Canaries.BlueGreen("blue-green"));
        using var services = gateway.Services();
        var router = Router(services);

        await router.ReconcileAsync(canary, Ct);
        await router.SetRoutesAsync(canary, TrafficRoutes.AllToCanary, Ct);

        Assert.Equal(TrafficRoutes.AllToCanary, await router.GetRoutesAsync(canary, Ct));
        await router.SetRoutesAsync(canary, TrafficRoutes.AllToPrimary, Ct);
        Assert.Equal(TrafficRoutes.AllToPrimary, await router.GetRoutesAsync(canary, Ct));
    }

    [Fact]
    public async Task A_B_testing_routes_matched_requests_by_the_canary_weights_and_the_rest_to_the_primary()
    {
        var canary = await gateway.ApplyAsync(Canaries.ABTesting("ab-testing"));
        using var services = gateway.Services();
        var router = Router(services);

        await router.ReconcileAsync(canary, Ct);
        await router.SetRoutesAsync(canary, TrafficRoutes.AllToCanary, Ct);

        Snapshot.Match(await gateway.SnapshotAsync(canary));
        Assert.Equal(TrafficRoutes.AllToCanary, await router.GetRoutesAsync(canary, Ct));
    }

    [Fact]
    public async Task A_match_the_Gateway_API_cannot_express_is_refused_naming_the_selector()
    {
        var canary = await gateway.ApplyAsync(Canaries.Gateway("bad-match", c => c.Analysis()["match"] = JsonNode.Parse("""[{ "headers": { "x-user": { "prefix": "qa-" } } }]""")));
        using var services = gateway.Services();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => Router(services).ReconcileAsync(canary, Ct));

        Assert.Equal("""Invalid request matching selectors: Gateway API doesn't support the specified header matching selector: {"prefix":"qa-"}""", error.Message);
    }

    [Fact]
    public async Task Mirroring_copies_primary_traffic_to_the_canary_during_Blue_Green_iterations()
    {
        var canary = await gateway.ApplyAsync(Canaries.BlueGreen("mirror", mirror: true));
        using var services = gateway.Services();
        var router = Router(services);

        await router.ReconcileAsync(canary, Ct);
        await router.SetRoutesAsync(canary, TrafficRoutes.AllToPrimary with { Mirrored = true }, Ct);

        Snapshot.Match(await gateway.SnapshotAsync(canary));
        Assert.Equal(TrafficRoutes.AllToPrimary with { Mirrored = true }, await router.GetRoutesAsync(canary, Ct));
        await router.SetRoutesAsync(canary, TrafficRoutes.AllToPrimary, Ct);
        Assert.Equal(TrafficRoutes.AllToPrimary, await router.GetRoutesAsync(canary, Ct));
    }

    [Fact]
    public async Task Session_affinity_sets_the_canary_cookie_on_canary_responses_and_pins_its_holders_to_the_canary()
    {
        var canary = (await gateway.ApplyAsync(Canaries.SessionAffinity("affinity"))).At(CanaryPhase.Progressing);
        using var services = gateway.Services();
        var router = Router(services);
        await router.ReconcileAsync(canary, Ct);

        await router.SetRoutesAsync(canary, new TrafficRoutes(90, 10), Ct);

        var rules = (await gateway.GetRouteAsync("affinity", "podinfo"))["spec"]!["rules"]!.AsArray();
        Assert.Equal(3, rules.Count);
        var setCookie = rules[2]!["backendRefs"]![1]!["filters"]![0]!["responseHeaderModifier"]!["add"]![0]!["value"]!.GetValue<string>();
        Assert.Matches("^flagger-cookie=[a-zA-Z]{10}; Max-Age=7200; HttpOnly; Path=/; SameSite=Lax$", setCookie);
        var cookie = setCookie[..setCookie.IndexOf(';', StringComparison.Ordinal)];
        var (name, value) = (cookie.Split('=')[0], cookie.Split('=')[1]);
        Assert.Equal($".*{name}.*{value}.*", rules[0]!["matches"]![0]!["headers"]![0]!["value"]!.GetValue<string>());
        Assert.Equal([0, 100], rules[0]!["backendRefs"]!.AsArray().Select(b => b!["weight"]!.GetValue<int>()));
        Assert.Matches("^flagger-primary=[a-zA-Z]{10}; Max-Age=60; HttpOnly; Path=/; SameSite=Lax$", rules[2]!["backendRefs"]![0]!["filters"]![0]!["responseHeaderModifier"]!["add"]![0]!["value"]!.GetValue<string>());
        Assert.Equal([100, 0], rules[1]!["backendRefs"]!.AsArray().Select(b => b!["weight"]!.GetValue<int>()));
        Assert.Equal(new TrafficRoutes(90, 10), await router.GetRoutesAsync(canary, Ct));

        // The same revision keeps its cookie from tick to tick: the route is not rewritten.
        var version = (await gateway.GetRouteAsync("affinity", "podinfo"))["metadata"]!["resourceVersion"]!.GetValue<string>();
        await router.ReconcileAsync(canary, Ct);
        await router.SetRoutesAsync(canary, new TrafficRoutes(90, 10), Ct);
        Assert.Equal(version, (await gateway.GetRouteAsync("affinity", "podinfo"))["metadata"]!["resourceVersion"]!.GetValue<string>());

        // Promoted: the canary's users are sent back to the primary and their cookie expires.
        await router.SetRoutesAsync(canary.At(CanaryPhase.Finalising), TrafficRoutes.AllToPrimary, Ct);
        var after = (await gateway.GetRouteAsync("affinity", "podinfo"))["spec"]!["rules"]!.AsArray();
        Assert.Equal(2, after.Count);
        Assert.Equal($".*{name}.*{value}.*", after[0]!["matches"]![0]!["headers"]![0]!["value"]!.GetValue<string>());
        Assert.Equal($"{cookie}; Max-Age=-1", after[0]!["filters"]![0]!["responseHeaderModifier"]!["add"]![0]!["value"]!.GetValue<string>());
        Assert.Equal([100, 0], after[0]!["backendRefs"]!.AsArray().Select(b => b!["weight"]!.GetValue<int>()));
        Assert.Equal(TrafficRoutes.AllToPrimary, await router.GetRoutesAsync(canary, Ct));

        // The next revision gets a cookie of its own.
        await router.SetRoutesAsync(canary.At(CanaryPhase.Progressing, "rev-2"), new TrafficRoutes(90, 10), Ct);
        var next = (await gateway.GetRouteAsync("affinity", "podinfo"))["spec"]!["rules"]![2]!["backendRefs"]![1]!["filters"]![0]!["responseHeaderModifier"]!["add"]![0]!["value"]!.GetValue<string>();
        Assert.StartsWith("flagger-cookie=", next, StringComparison.Ordinal);
        Assert.NotEqual(setCookie, next);
    }

    [Fact]
    public async Task Session_affinity_uses_the_cookies_kept_in_the_status()
    {
        var canary = (await gateway.ApplyAsync(Canaries.SessionAffinity("affinity-status"))) with
        {
            Status = new CanaryStatus { Phase = CanaryPhase.Progressing, SessionAffinityCookie = "flagger-cookie=abcdefghij", PrimarySessionAffinityCookie = "flagger-primary=klmnopqrst" },
        };
        using var services = gateway.Services();
        var router = Router(services);
        await router.ReconcileAsync(canary, Ct);

        await router.SetRoutesAsync(canary, new TrafficRoutes(50, 50), Ct);

        Snapshot.Match(await gateway.SnapshotAsync(canary));
    }

    [Fact]
    public async Task An_existing_HTTPRoute_is_adopted_and_restored_from_its_original_on_finalise()
    {
        var canary = await gateway.ApplyAsync(Canaries.Gateway("adopt"));
        var original = JsonNode.Parse("""
            {
              "apiVersion": "gateway.networking.k8s.io/v1",
              "kind": "HTTPRoute",
              "metadata": { "name": "podinfo", "namespace": "adopt", "labels": { "app": "podinfo" } },
              "spec": {
                "parentRefs": [ { "name": "gateway", "namespace": "gateway-system" } ],
                "hostnames": [ "www.example.com" ],
                "rules": [ { "backendRefs": [ { "name": "podinfo", "port": 9898 } ] } ]
              }
            }
            """)!.AsObject();
        await gateway.CreateRouteAsync("adopt", original);
        using var services = gateway.Services();
        var router = Router(services);

        await router.ReconcileAsync(canary, Ct);
        await router.SetRoutesAsync(canary, new TrafficRoutes(50, 50), Ct);

        var adopted = await gateway.GetRouteAsync("adopt", "podinfo");
        Assert.Equal("podinfo", adopted["metadata"]!["labels"]!["app"]!.GetValue<string>());
        Assert.Null(adopted["metadata"]!["ownerReferences"]);
        Assert.True(JsonNode.DeepEquals(original["spec"], JsonNode.Parse(adopted["metadata"]!["annotations"]![GatewayApiRouter<GatewayApiV1>.OriginalConfigurationAnnotation]!.GetValue<string>())));
        Assert.Equal(new TrafficRoutes(50, 50), await router.GetRoutesAsync(canary, Ct));

        await router.FinalizeAsync(canary, Ct);

        var restored = await gateway.GetRouteAsync("adopt", "podinfo");
        Assert.True(JsonNode.DeepEquals(original["spec"], restored["spec"]));
        Assert.Null(restored["metadata"]!["annotations"]![GatewayApiRouter<GatewayApiV1>.OriginalConfigurationAnnotation]);
    }

    [Fact]
    public async Task An_HTTPRoute_applied_with_kubectl_is_restored_from_kubectls_annotation_on_finalise()
    {
        var canary = await gateway.ApplyAsync(Canaries.Gateway("adopt-kubectl"));
        var spec = JsonNode.Parse("""{ "parentRefs": [ { "name": "gateway" } ], "rules": [ { "backendRefs": [ { "name": "podinfo", "port": 9898 } ] } ] }""")!;
        var route = new JsonObject
        {
            ["apiVersion"] = "gateway.networking.k8s.io/v1",
            ["kind"] = "HTTPRoute",
            ["metadata"] = new JsonObject
            {
                ["name"] = "podinfo",
                ["namespace"] = "adopt-kubectl",
                ["annotations"] = new JsonObject { ["kubectl.kubernetes.io/last-applied-configuration"] = new JsonObject { ["spec"] = spec.DeepClone() }.ToJsonString() },
            },
            ["spec"] = spec.DeepClone(),
        };
        await gateway.CreateRouteAsync("adopt-kubectl", route);
        using var services = gateway.Services();
        var router = Router(services);
        await router.ReconcileAsync(canary, Ct);
        Assert.Null((await gateway.GetRouteAsync("adopt-kubectl", "podinfo"))["metadata"]!["annotations"]![GatewayApiRouter<GatewayApiV1>.OriginalConfigurationAnnotation]);

        await router.FinalizeAsync(canary, Ct);

        Assert.True(JsonNode.DeepEquals(spec, (await gateway.GetRouteAsync("adopt-kubectl", "podinfo"))["spec"]));
    }

    [Fact]
    public async Task Finalise_leaves_an_HTTPRoute_Flagger_created_to_garbage_collection()
    {
        var canary = await gateway.ApplyAsync(Canaries.Gateway("finalise-owned"));
        using var services = gateway.Services();
        var router = Router(services);
        await router.ReconcileAsync(canary, Ct);
        var before = await gateway.GetRouteAsync("finalise-owned", "podinfo");

        await router.FinalizeAsync(canary, Ct);

        var after = await gateway.GetRouteAsync("finalise-owned", "podinfo");
        Assert.Equal(before["metadata"]!["resourceVersion"]!.GetValue<string>(), after["metadata"]!["resourceVersion"]!.GetValue<string>());
        Assert.Equal("Canary", after["metadata"]!["ownerReferences"]![0]!["kind"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_v1beta1_provider_reads_and_writes_v1beta1_HTTPRoutes()
    {
        var canary = await gateway.ApplyAsync(Canaries.Gateway("v1beta1", c => c["spec"]!["provider"] = "gatewayapi:v1beta1"));
        using var services = gateway.Services();
        var router = Router(services, FlaggerEngineBuilderGatewayApiExtensions.V1Beta1ProviderName);

        await router.ReconcileAsync(canary, Ct);
        await router.SetRoutesAsync(canary, new TrafficRoutes(90, 10), Ct);

        Assert.Equal("gateway.networking.k8s.io/v1beta1", (await gateway.GetRouteAsync("v1beta1", "podinfo", "v1beta1"))["apiVersion"]!.GetValue<string>());
        Assert.Equal(new TrafficRoutes(90, 10), await router.GetRoutesAsync(canary, Ct));
    }

    [Fact]
    public async Task Routes_are_not_read_while_a_gateway_has_not_accepted_the_current_generation()
    {
        var canary = await gateway.ApplyAsync(Canaries.Gateway("not-accepted"));
        using var services = gateway.Services();
        var router = Router(services);
        await router.ReconcileAsync(canary, Ct);
        var route = await gateway.GetRouteAsync("not-accepted", "podinfo");
        var generation = route["metadata"]!["generation"]!.GetValue<long>();
        route["status"] = JsonNode.Parse($$"""
            { "parents": [ { "parentRef": { "group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "gateway", "namespace": "gateway-system" }, "controllerName": "example.com/gateway",
              "conditions": [ { "type": "Accepted", "status": "True", "reason": "Accepted", "message": "", "observedGeneration": {{generation}}, "lastTransitionTime": "2026-01-01T00:00:00Z" } ] } ] }
            """);
        using (var document = System.Text.Json.JsonDocument.Parse(route.ToJsonString()))
        {
            await gateway.Client.CustomObjects.ReplaceNamespacedCustomObjectStatusAsync(document.RootElement.Clone(), Group, "v1", "not-accepted", "httproutes", "podinfo", cancellationToken: Ct);
        }

        Assert.Equal(TrafficRoutes.AllToPrimary, await router.GetRoutesAsync(canary, Ct));
        await router.SetRoutesAsync(canary, new TrafficRoutes(90, 10), Ct);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => router.GetRoutesAsync(canary, Ct));
        Assert.Equal($"HTTPRoute podinfo.not-accepted parent gateway is not ready (status: True, observed generation: {generation}, current generation: {generation + 1})", error.Message);
    }

    [Fact]
    public async Task A_canary_without_gateway_refs_is_refused_with_what_to_set()
    {
        var canary = await gateway.ApplyAsync(Canaries.Gateway("no-gateway", c => c.Service().Remove("gatewayRefs")));
        using var services = gateway.Services();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => Router(services).ReconcileAsync(canary, Ct));

        Assert.StartsWith("GatewayRefs must be specified when using Gateway API as a provider", error.Message, StringComparison.Ordinal);
    }
}
