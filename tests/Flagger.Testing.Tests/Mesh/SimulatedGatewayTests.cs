using System.Text.Json.Nodes;
using Flagger.Testing.Mesh;
using Microsoft.Extensions.Time.Testing;

namespace Flagger.Testing.Tests.Mesh;

/// <summary>The simulated Gateway API implementation: Gateway Services and conditions, HTTPRoute routing through them.</summary>
public sealed class SimulatedGatewayTests
{
    private const string Manifests = """
        apiVersion: v1
        kind: Namespace
        metadata: {name: test}
        ---
        apiVersion: v1
        kind: Namespace
        metadata: {name: istio-ingress}
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: Gateway
        metadata: {name: gateway, namespace: istio-ingress}
        spec:
          gatewayClassName: istio
          listeners:
          - {name: http, port: 80, protocol: HTTP, allowedRoutes: {namespaces: {from: All}}}
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: podinfo, namespace: test}
        spec:
          selector: {matchLabels: {app: podinfo}}
          template:
            metadata: {labels: {app: podinfo}}
            spec:
              containers:
              - name: podinfod
                image: quay.io/stefanprodan/podinfo:1.4.2
                env:
                - {name: FLAGGER_SIM_ERROR_PERCENT, value: "40"}
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: podinfo-primary, namespace: test}
        spec:
          selector: {matchLabels: {app: podinfo-primary}}
          template:
            metadata: {labels: {app: podinfo-primary}}
            spec:
              containers:
              - {name: podinfod, image: quay.io/stefanprodan/podinfo:1.4.1}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: podinfo-canary, namespace: test}
        spec: {selector: {app: podinfo}, ports: [{port: 9898}]}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: podinfo-primary, namespace: test}
        spec: {selector: {app: podinfo-primary}, ports: [{port: 9898}]}
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata: {name: podinfo, namespace: test}
        spec:
          parentRefs: [{name: gateway, namespace: istio-ingress}]
          hostnames: [www.example.com]
          rules:
          - matches:
            - headers: [{type: RegularExpression, name: Cookie, value: ".*flagger-cookie.*abcdefghij.*"}]
            backendRefs:
            - {name: podinfo-primary, port: 9898, weight: 0}
            - {name: podinfo-canary, port: 9898, weight: 100}
          - matches:
            - path: {type: PathPrefix, value: /api}
              headers: [{type: Exact, name: x-canary, value: insider}]
            backendRefs:
            - {name: podinfo-canary, port: 9898}
          - matches:
            - path: {type: PathPrefix, value: /}
            filters:
            - type: RequestMirror
              requestMirror: {backendRef: {name: podinfo-canary, port: 9898}}
            backendRefs:
            - name: podinfo-primary
              port: 9898
              weight: 75
            - name: podinfo-canary
              port: 9898
              weight: 25
              filters:
              - type: ResponseHeaderModifier
                responseHeaderModifier:
                  add: [{name: Set-Cookie, value: "flagger-cookie=abcdefghij; Max-Age=86400"}]
        """;

    [Fact]
    public async Task A_Gateway_gets_a_Service_and_its_HTTPRoutes_are_accepted_for_their_generation()
    {
        var (cluster, _, mesh) = await StartAsync();
        await using var _ = cluster;
        using var __ = mesh;
        using var client = cluster.CreateClient();

        var service = await k8s.CoreV1OperationsExtensions.ReadNamespacedServiceAsync(client.CoreV1, "gateway-istio", "istio-ingress", cancellationToken: TestCluster.Ct);
        Assert.Equal("gateway", service.Metadata.Labels["gateway.networking.k8s.io/gateway-name"]);
        Assert.Equal(80, service.Spec.Ports.Single().Port);
        var route = JsonNode.Parse(((System.Text.Json.JsonElement)await k8s.CustomObjectsOperationsExtensions.GetNamespacedCustomObjectAsync(
            client.CustomObjects, "gateway.networking.k8s.io", "v1beta1", "test", "httproutes", "podinfo", TestCluster.Ct)).GetRawText())!;
        var accepted = route["status"]!["parents"]![0]!["conditions"]!.AsArray().Single(c => c!["type"]!.GetValue<string>() == "Accepted")!;
        Assert.Equal("True", accepted["status"]!.GetValue<string>());
        Assert.Equal(route["metadata"]!["generation"]!.GetValue<long>(), accepted["observedGeneration"]!.GetValue<long>());
        Assert.Equal("gateway", route["status"]!["parents"]![0]!["parentRef"]!["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task Requests_for_the_routes_host_are_split_by_the_backend_weights_and_mirrored_to_the_canary()
    {
        var (cluster, time, mesh) = await StartAsync();
        await using var _ = cluster;
        using var __ = mesh;

        Assert.Null(mesh.SendToGateway(new Uri("http://gateway-istio.istio-ingress/"), "www.example.com", 100, TimeSpan.FromMinutes(5), "test"));
        Advance(time, TimeSpan.FromMinutes(1));

        var canary = mesh.Increase("test", "podinfo", TimeSpan.FromMinutes(1))!;
        var primary = mesh.Increase("test", "podinfo-primary", TimeSpan.FromMinutes(1))!;

        // 75% to the primary; the canary answers its 25% and a mirrored copy of every request.
        Assert.Equal(1.25 / 0.75, canary.Total / primary.Total, 3);
        Assert.Equal(0.4, canary.Failed / canary.Total, 3);
    }

    [Fact]
    public async Task Requests_for_another_host_reach_no_workload()
    {
        var (cluster, time, mesh) = await StartAsync();
        await using var _ = cluster;
        using var __ = mesh;

        Assert.Null(mesh.SendToGateway(new Uri("http://gateway-istio.istio-ingress/"), "other.example.com", 100, TimeSpan.FromMinutes(5), "test"));
        Advance(time, TimeSpan.FromMinutes(1));

        Assert.Null(mesh.Increase("test", "podinfo.*", TimeSpan.FromMinutes(1)));
    }

    [Fact]
    public async Task The_most_specific_match_wins_and_the_canary_cookie_pins_its_holder_to_the_canary()
    {
        var (cluster, _, mesh) = await StartAsync();
        await using var _ = cluster;
        using var __ = mesh;

        var plain = GatewayRouting.Route(cluster.Store, "istio-ingress", "gateway-istio", new GatewayRequest("www.example.com:80", "/"))!;
        Assert.Equal([("podinfo-primary", 0.75), ("podinfo-canary", 0.25)], plain.Backends.Select(b => (b.Service, b.Share)));
        Assert.Equal([("test", "podinfo-canary")], plain.Mirrors);
        Assert.Equal(["flagger-cookie=abcdefghij; Max-Age=86400"], plain.Backends[1].SetCookies);
        Assert.Empty(plain.Backends[0].SetCookies);

        var sticky = GatewayRouting.Route(cluster.Store, "istio-ingress", "gateway-istio", new GatewayRequest("www.example.com", "/", Headers: new Dictionary<string, string> { ["cookie"] = "a=b; flagger-cookie=abcdefghij" }))!;
        Assert.Equal([("podinfo-canary", 1.0)], sticky.Backends.Select(b => (b.Service, b.Share)));

        var insider = GatewayRouting.Route(cluster.Store, "istio-ingress", "gateway-istio", new GatewayRequest("www.example.com", "/api/info?x=1", Headers: new Dictionary<string, string> { ["X-Canary"] = "insider" }))!;
        Assert.Equal([("podinfo-canary", 1.0)], insider.Backends.Select(b => (b.Service, b.Share)));

        var outsider = GatewayRouting.Route(cluster.Store, "istio-ingress", "gateway-istio", new GatewayRequest("www.example.com", "/apiary", Headers: new Dictionary<string, string> { ["X-Canary"] = "insider" }))!;
        Assert.Equal(2, outsider.Backends.Count);

        Assert.Null(GatewayRouting.Route(cluster.Store, "test", "podinfo-canary", null));
    }

    private static async Task<(EmbeddedCluster Cluster, FakeTimeProvider Time, SimulatedMesh Mesh)> StartAsync()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 16, 14, 0, 0, TimeSpan.Zero));
        var cluster = await TestCluster.StartAsync(time);
        cluster.Apply(Manifests);
        time.Advance(TimeSpan.FromSeconds(2));
        await cluster.WaitForControllersAsync(TestCluster.Ct);
        return (cluster, time, SimulatedMesh.Start(cluster));
    }

    /// <summary>Advances the clock one scrape interval at a time, so every scrape happens.</summary>
    private static void Advance(FakeTimeProvider time, TimeSpan span)
    {
        for (var step = TimeSpan.Zero; step < span; step += TimeSpan.FromSeconds(5))
        {
            time.Advance(TimeSpan.FromSeconds(5));
        }
    }
}
