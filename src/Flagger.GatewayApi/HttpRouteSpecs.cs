using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Flagger.Model;
using Flagger.Routing;
using Flagger.Routing.Affinity;

namespace Flagger.GatewayApi;

/// <summary>
/// The desired HTTPRoute spec for a canary and a traffic split, and the split read back from an HTTPRoute. Pure
/// functions: the router does the I/O.
/// </summary>
internal static class HttpRouteSpecs
{
    private const string CookieHeader = "Cookie";
    private const string SetCookieHeader = "Set-Cookie";

    // The fields the Gateway API's CRDs fill in when they are left out.
    private static readonly HashSet<string> Defaulted = new(StringComparer.Ordinal) { "group", "kind", "weight", "matches", "type", "value" };

    public static string ApexName(this Canary canary) => canary.GetServiceName();

    public static string PrimaryName(this Canary canary) => $"{canary.GetServiceName()}-primary";

    public static string CanaryName(this Canary canary) => $"{canary.GetServiceName()}-canary";

    /// <summary>
    /// The HTTPRoute spec carrying <paramref name="routes"/>: parentRefs from <c>gatewayRefs</c>, hostnames from
    /// <c>hosts</c>, and one rule weighted between primary and canary — or, for A/B testing, the
    /// <c>analysis.match</c> rule plus a catch-all rule to the primary; with session affinity, the cookie rules in front.
    /// </summary>
    public static JsonObject Spec(Canary canary, TrafficRoutes routes)
    {
        var service = canary.Spec.Service ?? new CanaryService();
        if (service.GatewayRefs is not { ValueKind: JsonValueKind.Array } gatewayRefs || gatewayRefs.GetArrayLength() == 0)
        {
            throw new InvalidOperationException("GatewayRefs must be specified when using Gateway API as a provider: set spec.service.gatewayRefs to the Gateways the HTTPRoute attaches to");
        }

        var analysis = canary.Spec.GetAnalysis();
        var serviceMatches = HttpRouteMatches.Map(service.Match);
        List<JsonObject> matches = serviceMatches.Count > 0 ? serviceMatches : [HttpRouteMatches.CatchAll()];

        var weighted = Rule(canary, matches, Backend(canary, canary.PrimaryName(), routes.PrimaryWeight), Backend(canary, canary.CanaryName(), routes.CanaryWeight));

        // Flagger mirrors only in Blue/Green: the canary takes no live traffic while it shadows the primary's.
        if (routes.Mirrored && analysis is { Iterations: > 0 })
        {
            Filters(weighted).Add((JsonNode)new JsonObject
            {
                ["type"] = "RequestMirror",
                ["requestMirror"] = new JsonObject { ["backendRef"] = BackendReference(canary.CanaryName(), service.Port) },
            });
        }

        var rules = SessionCookies.For(canary) is { } cookies
            ? SessionRules(canary, routes, weighted, serviceMatches, cookies)
            : [weighted];

        if (analysis?.Match is { ValueKind: JsonValueKind.Array } abMatch && abMatch.GetArrayLength() > 0)
        {
            rules[0]["matches"] = Array(HttpRouteMatches.Merge(HttpRouteMatches.Map(abMatch), matches));
            rules.Add(Rule(canary, matches, Backend(canary, canary.PrimaryName(), AnalysisDefaults.TotalWeight)));
        }

        var spec = new JsonObject { ["parentRefs"] = JsonNode.Parse(gatewayRefs.GetRawText()) };
        if (service.Hosts is { Count: > 0 } hosts)
        {
            spec["hostnames"] = new JsonArray([.. hosts.Select(h => (JsonNode?)JsonValue.Create(h))]);
        }

        spec["rules"] = new JsonArray([.. rules]);
        return spec;
    }

    /// <summary>
    /// The split an HTTPRoute applies, from the last rule that sends traffic to the canary (the weighted rule: the
    /// sticky cookie rules come before it, the A/B catch-all has no canary backend); or why it cannot be read.
    /// </summary>
    public static (TrafficRoutes Routes, string? Problem) ReadRoutes(Canary canary, JsonObject? spec)
    {
        var (primary, canaryName) = (canary.PrimaryName(), canary.CanaryName());
        var id = $"HTTPRoute {canary.ApexName()}.{canary.Namespace}";
        const string Fix = "was it edited by hand? Undo the edit, or delete the HTTPRoute and Flagger recreates it";
        var rules = (spec?["rules"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        var weighted = rules.LastOrDefault(r => Backends(r).Any(b => Name(b) == canaryName));
        if (weighted is null)
        {
            return (default, $"{id} has no rule with a backendRef to {canaryName}; {Fix}");
        }

        var backends = Backends(weighted).ToList();
        var strangers = backends.Select(Name).Where(n => n != primary && n != canaryName).ToArray();
        if (strangers.Length > 0)
        {
            return (default, $"{id} also routes to {string.Join(", ", strangers)} besides {primary} and {canaryName}; {Fix}");
        }

        // A backendRef without a weight has weight 1 in the Gateway API.
        var primaryWeight = backends.Where(b => Name(b) == primary).Sum(Weight);
        var canaryWeight = backends.Where(b => Name(b) == canaryName).Sum(Weight);
        if (primaryWeight < 0 || canaryWeight < 0 || primaryWeight + canaryWeight != AnalysisDefaults.TotalWeight)
        {
            return (default, $"{id} routes {primaryWeight}% to {primary} and {canaryWeight}% to {canaryName}, which does not add up to 100%; {Fix}");
        }

        var mirrored = rules.Any(r => (r["filters"] as JsonArray ?? []).OfType<JsonObject>().Any(f =>
            Text(f["type"]) == "RequestMirror" && Text(f["requestMirror"]?["backendRef"]?["name"]) == canaryName));
        return (new TrafficRoutes(primaryWeight, canaryWeight, mirrored), null);
    }

    /// <summary>
    /// Why the Gateways have not taken the HTTPRoute yet (a parent whose <c>Accepted</c> condition is not True, or
    /// was written for an older generation), or null when every parent that reported has accepted it.
    /// </summary>
    public static string? NotAccepted(Canary canary, JsonObject route)
    {
        var generation = route["metadata"]?["generation"] is JsonValue g && g.TryGetValue<long>(out var value) ? value : 0;
        var parents = (route["status"]?["parents"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        foreach (var parentRef in (route["spec"]?["parentRefs"] as JsonArray ?? []).OfType<JsonObject>())
        {
            foreach (var parent in parents.Where(p => SameParent(p["parentRef"] as JsonObject, parentRef, canary.Namespace)))
            {
                foreach (var condition in (parent["conditions"] as JsonArray ?? []).OfType<JsonObject>().Where(c => Text(c["type"]) == "Accepted"))
                {
                    var observed = condition["observedGeneration"] is JsonValue o && o.TryGetValue<long>(out var seen) ? seen : 0;
                    if (Text(condition["status"]) != "True" || observed < generation)
                    {
                        return string.Create(
                            CultureInfo.InvariantCulture,
                            $"HTTPRoute {canary.ApexName()}.{canary.Namespace} parent {Text(parentRef["name"])} is not ready (status: {Text(condition["status"])}, observed generation: {observed}, current generation: {generation})");
                    }
                }
            }
        }

        return null;
    }

    /// <summary>
    /// True when <paramref name="current"/> says what <paramref name="desired"/> says, field by field, where a field
    /// only the current object has is a difference unless the Gateway API's CRDs default it (a parentRef's group and
    /// kind, a backendRef's weight, a match's type): a defaulting server must not make the router rewrite the
    /// route on every reconcile, and a filter the router dropped must still be noticed.
    /// </summary>
    public static bool Covers(JsonNode? current, JsonNode? desired) => (current, desired) switch
    {
        (_, null) => true,
        (JsonObject c, JsonObject d) => d.All(p => Covers(c[p.Key], p.Value)) && c.All(p => d.ContainsKey(p.Key) || Defaulted.Contains(p.Key)),
        (JsonArray c, JsonArray d) => c.Count == d.Count && c.Zip(d).All(pair => Covers(pair.First, pair.Second)),
        (null, _) => false,
        _ => JsonNode.DeepEquals(current, desired),
    };

    /// <summary>
    /// Session affinity: while the canary takes traffic, its responses set the canary cookie (and the primary's the
    /// primary cookie), and a rule in front pins requests with the canary cookie to the canary (and with the primary
    /// cookie to the primary). With the canary back at 0%, a rule expires the canary cookie of the revision that ran.
    /// </summary>
    private static List<JsonObject> SessionRules(Canary canary, TrafficRoutes routes, JsonObject weighted, List<JsonObject> serviceMatches, SessionCookies cookies)
    {
        if (routes.CanaryWeight != 0)
        {
            SetCookie(Backends(weighted).First(b => Name(b) == canary.CanaryName()), cookies.CanarySetCookie);
            if (cookies.PrimarySetCookie is { } primarySetCookie)
            {
                SetCookie(Backends(weighted).First(b => Name(b) == canary.PrimaryName()), primarySetCookie);
            }

            var rules = new List<JsonObject> { Sticky(canary, weighted, serviceMatches, cookies.Canary, primaryWeight: 0) };
            if (cookies.Primary is { } primaryCookie)
            {
                rules.Add(Sticky(canary, weighted, serviceMatches, primaryCookie, primaryWeight: AnalysisDefaults.TotalWeight));
            }

            rules.Add(weighted);
            return rules;
        }

        // Before any revision ran there is no cookie to take back.
        if (canary.Status?.Phase is null or CanaryPhase.Initializing or CanaryPhase.Initialized)
        {
            return [weighted];
        }

        var previous = canary.Status.PreviousSessionAffinityCookie is { Length: > 0 } kept ? kept : cookies.Canary;
        var expire = weighted.DeepClone().AsObject();
        expire["matches"] = Array(HttpRouteMatches.Merge([CookieMatch(previous)], serviceMatches));
        Filters(expire).Add((JsonNode)ResponseHeader(SetCookieHeader, SessionCookies.Expire(previous)));
        return [expire, weighted];
    }

    private static JsonObject Sticky(Canary canary, JsonObject weighted, List<JsonObject> serviceMatches, string cookie, int primaryWeight)
    {
        var rule = weighted.DeepClone().AsObject();
        rule["matches"] = Array(HttpRouteMatches.Merge([CookieMatch(cookie)], serviceMatches));
        rule["backendRefs"] = new JsonArray(
            Backend(canary, canary.PrimaryName(), primaryWeight),
            Backend(canary, canary.CanaryName(), AnalysisDefaults.TotalWeight - primaryWeight));
        return rule;
    }

    private static JsonObject CookieMatch(string cookie) => new()
    {
        ["headers"] = new JsonArray(new JsonObject { ["type"] = "RegularExpression", ["name"] = CookieHeader, ["value"] = SessionCookies.MatchRegex(cookie) }),
    };

    private static void SetCookie(JsonObject backend, string setCookie) =>
        ((backend["filters"] ??= new JsonArray()) as JsonArray)!.Add((JsonNode)ResponseHeader(SetCookieHeader, setCookie));

    private static JsonObject ResponseHeader(string name, string value) => new()
    {
        ["type"] = "ResponseHeaderModifier",
        ["responseHeaderModifier"] = new JsonObject { ["add"] = new JsonArray(new JsonObject { ["name"] = name, ["value"] = value }) },
    };

    private static JsonObject Rule(Canary canary, IEnumerable<JsonObject> matches, params JsonObject[] backends)
    {
        var service = canary.Spec.Service ?? new CanaryService();
        var rule = new JsonObject { ["matches"] = Array(matches) };
        if (HttpRouteFilters.For(service) is { Count: > 0 } filters)
        {
            rule["filters"] = filters;
        }

        rule["backendRefs"] = new JsonArray(backends);
        if (!string.IsNullOrEmpty(service.Timeout) || !string.IsNullOrEmpty(service.BackendTimeout))
        {
            var timeouts = new JsonObject();
            if (!string.IsNullOrEmpty(service.Timeout))
            {
                timeouts["request"] = service.Timeout;
            }

            if (!string.IsNullOrEmpty(service.BackendTimeout))
            {
                timeouts["backendRequest"] = service.BackendTimeout;
            }

            rule["timeouts"] = timeouts;
        }

        return rule;
    }

    private static JsonArray Filters(JsonObject rule) => (JsonArray)(rule["filters"] ??= new JsonArray());

    private static JsonObject Backend(Canary canary, string name, int weight)
    {
        var backend = BackendReference(name, canary.Spec.Service?.Port ?? 0);
        backend["weight"] = weight;
        return backend;
    }

    private static JsonObject BackendReference(string name, int port) => new()
    {
        ["group"] = string.Empty,
        ["kind"] = "Service",
        ["name"] = name,
        ["port"] = port,
    };

    private static JsonArray Array(IEnumerable<JsonObject> items) => new([.. items.Select(i => (JsonNode?)(i.Parent is null ? i : i.DeepClone()))]);

    private static IEnumerable<JsonObject> Backends(JsonObject rule) => (rule["backendRefs"] as JsonArray ?? []).OfType<JsonObject>();

    private static string? Name(JsonObject backend) => Text(backend["name"]);

    private static int Weight(JsonObject backend) => backend["weight"] is JsonValue w && w.TryGetValue<int>(out var weight) ? weight : 1;

    private static string? Text(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var text) ? text : null;

    private static bool SameParent(JsonObject? reported, JsonObject wanted, string routeNamespace) =>
        reported is not null
        && Text(reported["name"]) == Text(wanted["name"])
        && (Text(reported["namespace"]) ?? routeNamespace) == (Text(wanted["namespace"]) ?? routeNamespace)
        && Text(reported["sectionName"]) == Text(wanted["sectionName"]);
}
