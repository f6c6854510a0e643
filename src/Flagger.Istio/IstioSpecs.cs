using System.Text.Json;
using System.Text.Json.Nodes;
using Flagger.Istio.Model;
using Flagger.Model;
using Flagger.Routing;
using Flagger.Routing.Affinity;
using k8s;

namespace Flagger.Istio;

/// <summary>
/// The desired VirtualService and DestinationRule specs for a canary, and the traffic split read back from a
/// VirtualService. Pure functions: the router does the I/O.
/// </summary>
internal static class IstioSpecs
{
    public const string MeshGateway = "mesh";

    public static string ApexName(this Canary canary) => canary.GetServiceName();

    public static string PrimaryName(this Canary canary) => $"{canary.GetServiceName()}-primary";

    public static string CanaryName(this Canary canary) => $"{canary.GetServiceName()}-canary";

    public static bool IsTcp(this Canary canary) => string.Equals(canary.Spec.Service?.AppProtocol, "tcp", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// The VirtualService spec carrying <paramref name="routes"/>: one weighted HTTP route, or for A/B testing the
    /// matched route to the canary's weights plus a default route to the primary, or TCP routes when the service's
    /// appProtocol is tcp.
    /// </summary>
    public static VirtualServiceSpec VirtualService(Canary canary, TrafficRoutes routes)
    {
        var service = canary.Spec.Service ?? new CanaryService();
        var apex = canary.ApexName();
        List<string>? hosts = [.. service.Hosts ?? []];
        if (!hosts.Any(h => h == apex || h == "*"))
        {
            hosts.Add(apex);
        }

        List<string>? gateways = service.Gateways is { Count: > 0 } g ? [.. g] : [MeshGateway];
        if (service.Delegation)
        {
            if (service.Hosts is { Count: > 0 } || service.Gateways is { Count: > 0 })
            {
                throw new InvalidOperationException(
                    $"VirtualService {apex}.{canary.Namespace} cannot have hosts and gateways when delegation is enabled: remove spec.service.hosts and spec.service.gateways, the root VirtualService carries them");
            }

            // A delegate is reached through a root VirtualService, which owns hosts and gateways.
            hosts = null;
            gateways = null;
        }

        var spec = new VirtualServiceSpec { Hosts = hosts, Gateways = gateways };
        if (canary.IsTcp())
        {
            spec.Tcp =
            [
                new TcpRoute
                {
                    Match = IstioJson.ToElement(new JsonArray(new JsonObject { ["port"] = service.Port })),
                    Route = [TcpDestination(canary, canary.PrimaryName(), routes.PrimaryWeight), TcpDestination(canary, canary.CanaryName(), routes.CanaryWeight)],
                },
            ];
            return spec;
        }

        var weighted = Route(canary, service.Match);
        weighted.Route = [HttpDestination(canary, canary.PrimaryName(), routes.PrimaryWeight), HttpDestination(canary, canary.CanaryName(), routes.CanaryWeight)];
        if (routes.Mirrored)
        {
            weighted.Mirror = new Destination { Host = canary.CanaryName() };
            if (canary.Spec.GetAnalysis() is { MirrorWeight: > 0 } analysis)
            {
                weighted.MirrorPercentage = new Percent { Value = analysis.MirrorWeight };
            }
        }

        if (canary.Spec.GetAnalysis()?.Match is { ValueKind: JsonValueKind.Array } abMatch && abMatch.GetArrayLength() > 0)
        {
            weighted.Match = MergeMatches(abMatch, service.Match);
            var fallback = Route(canary, service.Match);
            fallback.Route = [HttpDestination(canary, canary.PrimaryName(), AnalysisDefaults.TotalWeight)];
            spec.Http = [weighted, fallback];
        }
        else if (SessionCookies.For(canary) is { } cookies)
        {
            spec.Http = SessionRoutes(canary, routes, weighted, cookies);
        }
        else
        {
            spec.Http = [weighted];
        }

        return spec;
    }

    /// <summary>The DestinationRule spec for <paramref name="host"/>: the canary's trafficPolicy on both primary and canary.</summary>
    public static DestinationRuleSpec DestinationRule(Canary canary, string host) =>
        new() { Host = host, TrafficPolicy = canary.Spec.Service?.TrafficPolicy is { ValueKind: JsonValueKind.Object } policy ? policy.Clone() : null };

    /// <summary>
    /// The split a VirtualService applies, from the route that sends traffic to the canary; or why it cannot be
    /// read — which means someone edited Flagger's VirtualService by hand.
    /// </summary>
    public static (TrafficRoutes Routes, string? Problem) ReadRoutes(Canary canary, VirtualServiceSpec spec)
    {
        var (primary, canaryHost) = (canary.PrimaryName(), canary.CanaryName());
        var id = $"VirtualService {canary.ApexName()}.{canary.Namespace}";
        const string Fix = "was it edited by hand? Undo the edit, or delete the VirtualService and Flagger recreates it";
        List<RouteDestination>? destinations;
        var mirrored = false;
        if (canary.IsTcp())
        {
            destinations = spec.Tcp?.FirstOrDefault(r => r.Route?.Any(d => d.Destination?.Host == canaryHost) == true)?.Route;
        }
        else
        {
            // The last route to the canary is the weighted one: session affinity's cookie routes come before it.
            var http = spec.Http?.LastOrDefault(r => r.Route?.Any(d => d.Destination?.Host == canaryHost) == true);
            destinations = http?.Route;
            mirrored = !string.IsNullOrEmpty(http?.Mirror?.Host);
        }

        if (destinations is null)
        {
            return (default, $"{id} has no {(canary.IsTcp() ? "tcp" : "http")} route to {canaryHost}; {Fix}");
        }

        var primaryWeight = destinations.Where(d => d.Destination?.Host == primary).Sum(d => d.Weight ?? 0);
        var canaryWeight = destinations.Where(d => d.Destination?.Host == canaryHost).Sum(d => d.Weight ?? 0);
        var strangers = destinations.Select(d => d.Destination?.Host).Where(h => h != primary && h != canaryHost).ToArray();
        if (strangers.Length > 0)
        {
            return (default, $"{id} also routes to {string.Join(", ", strangers)} besides {primary} and {canaryHost}; {Fix}");
        }

        if (primaryWeight < 0 || canaryWeight < 0 || primaryWeight + canaryWeight != AnalysisDefaults.TotalWeight)
        {
            return (default, $"{id} routes {primaryWeight}% to {primary} and {canaryWeight}% to {canaryHost}, which does not add up to 100%; {Fix}");
        }

        return (new TrafficRoutes(primaryWeight, canaryWeight, mirrored), null);
    }

    /// <summary>True when the specs differ in anything but the traffic split (weights and mirroring).</summary>
    public static bool DiffersBeyondTraffic(VirtualServiceSpec desired, VirtualServiceSpec current) =>
        !JsonNode.DeepEquals(WithoutTraffic(desired), WithoutTraffic(current));

    /// <summary>True when two specs serialise to the same JSON, regardless of property order.</summary>
    public static bool SameJson<T>(T? a, T? b) =>
        JsonNode.DeepEquals(IstioJson.ToNode(a), IstioJson.ToNode(b));

    private static JsonNode? WithoutTraffic(VirtualServiceSpec spec)
    {
        var node = IstioJson.ToNode(spec);
        foreach (var kind in new[] { "http", "tcp" })
        {
            foreach (var route in node?[kind]?.AsArray().OfType<JsonObject>() ?? [])
            {
                route.Remove("mirror");
                route.Remove("mirrorPercentage");
                foreach (var destination in route["route"]?.AsArray().OfType<JsonObject>() ?? [])
                {
                    destination.Remove("weight");
                }
            }
        }

        return node;
    }

    /// <summary>
    /// Session affinity: while the canary takes traffic its responses set the canary cookie (and the primary's the
    /// primary cookie) and a route in front pins requests with the canary cookie to the canary (and with the primary
    /// cookie to the primary); with the canary back at 0%, a route expires the canary cookie of the revision that ran.
    /// </summary>
    private static List<HttpRoute> SessionRoutes(Canary canary, TrafficRoutes routes, HttpRoute weighted, SessionCookies cookies)
    {
        if (routes.CanaryWeight != 0)
        {
            weighted.Route![1].Headers = SetCookie(cookies.CanarySetCookie, null);
            if (cookies.PrimarySetCookie is { } primarySetCookie)
            {
                weighted.Route[0].Headers = SetCookie(primarySetCookie, null);
            }

            var sticky = new List<HttpRoute> { Sticky(canary, weighted, cookies.Canary, primaryWeight: 0) };
            if (cookies.Primary is { } primaryCookie)
            {
                sticky.Add(Sticky(canary, weighted, primaryCookie, primaryWeight: AnalysisDefaults.TotalWeight));
            }

            sticky.Add(weighted);
            return sticky;
        }

        // Before any revision ran there is no cookie to take back.
        if (canary.Status?.Phase is null or CanaryPhase.Initializing or CanaryPhase.Initialized)
        {
            return [weighted];
        }

        var previous = canary.Status.PreviousSessionAffinityCookie is { Length: > 0 } kept ? kept : cookies.Canary;
        var expire = Copy(weighted);
        expire.Match = MergeMatches(CookieMatch(previous), canary.Spec.Service?.Match);
        expire.Headers = SetCookie(SessionCookies.Expire(previous), weighted.Headers);
        return [expire, weighted];
    }

    private static HttpRoute Sticky(Canary canary, HttpRoute weighted, string cookie, int primaryWeight)
    {
        var route = Copy(weighted);
        route.Match = MergeMatches(CookieMatch(cookie), canary.Spec.Service?.Match);
        route.Route = [HttpDestination(canary, canary.PrimaryName(), primaryWeight), HttpDestination(canary, canary.CanaryName(), AnalysisDefaults.TotalWeight - primaryWeight)];
        return route;
    }

    private static JsonElement CookieMatch(string cookie) =>
        IstioJson.ToElement(new JsonArray(new JsonObject { ["headers"] = new JsonObject { ["Cookie"] = new JsonObject { ["regex"] = SessionCookies.MatchRegex(cookie) } } }));

    /// <summary>Header operations that add <c>Set-Cookie</c> to the response, on top of <paramref name="headers"/>.</summary>
    private static JsonElement SetCookie(string value, JsonElement? headers)
    {
        var node = headers is { ValueKind: JsonValueKind.Object } h ? JsonNode.Parse(h.GetRawText())!.AsObject() : [];
        var response = (JsonObject)(node["response"] ??= new JsonObject());
        var add = (JsonObject)(response["add"] ??= new JsonObject());
        add["Set-Cookie"] = value;
        return IstioJson.ToElement(new JsonArray(node))[0].Clone();
    }

    private static HttpRoute Copy(HttpRoute route) => IstioJson.Deserialize<HttpRoute>(IstioJson.Serialize(route))!;

    private static HttpRoute Route(Canary canary, JsonElement? match)
    {
        var service = canary.Spec.Service ?? new CanaryService();
        return new HttpRoute
        {
            Match = match is { ValueKind: JsonValueKind.Array } m && m.GetArrayLength() > 0 ? m.Clone() : null,
            Rewrite = service.Rewrite is { } r && (r.Uri is not null || r.Authority is not null) ? new HttpRouteRewrite { Uri = r.Uri, Authority = r.Authority } : null,
            Timeout = string.IsNullOrEmpty(service.Timeout) ? null : service.Timeout,
            Retries = service.Retries is { } retries ? new HttpRetries { Attempts = retries.Attempts, PerTryTimeout = retries.PerTryTimeout, RetryOn = retries.RetryOn } : null,
            CorsPolicy = service.CorsPolicy is { ValueKind: JsonValueKind.Object } cors ? cors.Clone() : null,
            Headers = service.Headers is { ValueKind: JsonValueKind.Object } headers ? headers.Clone() : null,
        };
    }

    private static RouteDestination HttpDestination(Canary canary, string host, int weight)
    {
        var service = canary.Spec.Service ?? new CanaryService();

        // Flagger pins the port only when discovered ports make the Service multi-port behind a gateway or a root VirtualService.
        var pinPort = service.PortDiscovery && ((service.Gateways is { Count: > 0 } g && g[0] != MeshGateway) || service.Delegation);
        return new RouteDestination
        {
            Destination = new Destination { Host = host, Port = pinPort ? new PortSelector { Number = service.Port } : null },
            Weight = weight,
        };
    }

    private static RouteDestination TcpDestination(Canary canary, string host, int weight) => new()
    {
        Destination = new Destination { Host = host, Port = new PortSelector { Number = canary.Spec.Service?.Port } },
        Weight = weight,
    };

    /// <summary>
    /// Every A/B condition combined with every service-level match (the condition wins where both set a field), so
    /// the canary route never widens what the service exposes.
    /// </summary>
    private static JsonElement MergeMatches(JsonElement conditions, JsonElement? serviceMatch)
    {
        if (serviceMatch is not { ValueKind: JsonValueKind.Array } defaults || defaults.GetArrayLength() == 0)
        {
            return conditions.Clone();
        }

        var merged = new JsonArray();
        foreach (var condition in conditions.EnumerateArray())
        {
            foreach (var fallback in defaults.EnumerateArray())
            {
                JsonNode item = JsonNode.Parse(fallback.GetRawText()) as JsonObject ?? []; // JsonNode: JsonArray.Add<JsonObject> would need reflection
                foreach (var property in condition.EnumerateObject())
                {
                    item[property.Name] = JsonNode.Parse(property.Value.GetRawText());
                }

                merged.Add(item);
            }
        }

        return IstioJson.ToElement(merged);
    }
}
