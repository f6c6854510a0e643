using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Flagger.Testing.Storage;

namespace Flagger.Testing.Mesh;

/// <summary>A request as a Gateway sees it: the Host header, path (with query), method and headers.</summary>
internal sealed record GatewayRequest(string? Host, string PathAndQuery = "/", string Method = "GET", IReadOnlyDictionary<string, string>? Headers = null);

/// <summary>A Service a Gateway sends a share of the requests to, and the <c>Set-Cookie</c> headers it answers with.</summary>
internal sealed record GatewayBackend(string Namespace, string Service, double Share, IReadOnlyList<string> SetCookies);

/// <summary>Where a Gateway sends a request: its backends by weight, the Services it mirrors it to, the cookies it sets.</summary>
internal sealed record GatewayDecision(IReadOnlyList<GatewayBackend> Backends, IReadOnlyList<(string Namespace, string Service)> Mirrors, IReadOnlyList<string> SetCookies);

/// <summary>
/// A Gateway's routing, read from the cluster's HTTPRoutes as a Gateway API implementation would apply them: a
/// request to the Service in front of a Gateway (labelled <c>gateway.networking.k8s.io/gateway-name</c>) is matched
/// against the HTTPRoutes attached to that Gateway whose hostnames take its Host header, the most specific match
/// wins (exact path, longest prefix, method, most headers, most query parameters, then rule order), and the rule's
/// backendRefs split it by weight; RequestMirror filters copy it, ResponseHeaderModifier filters add
/// <c>Set-Cookie</c> headers, and a Cookie header routes by the rules that match on it.
/// </summary>
internal static class GatewayRouting
{
    /// <summary>The Gateway's decision, or null when the Service is not in front of a Gateway.</summary>
    public static GatewayDecision? Route(ObjectStore store, string serviceNamespace, string serviceName, GatewayRequest? request)
    {
        var services = store.Registry.Find("", "v1", "services")!;
        var service = store.TryGet(services, serviceNamespace, serviceName);
        if (Meta.Str(service?["metadata"]?["labels"]?[GatewayApi.GatewayNameLabel]) is not { } gateway
            || store.Registry.Find(GatewayApi.Group, "v1", "httproutes") is not { } routes)
        {
            return null;
        }

        request ??= new GatewayRequest(null);
        var host = request.Host?.Split(':')[0].ToLowerInvariant();
        var candidates = new List<(JsonObject Rule, JsonObject Match, string Namespace, int Order)>();
        var order = 0;
        foreach (var route in store.List(routes, null, Selector.Everything, Selector.Everything).Items
            .OrderBy(r => Meta.Str(r["metadata"]?["creationTimestamp"]), StringComparer.Ordinal).ThenBy(Meta.Name, StringComparer.Ordinal))
        {
            var ns = Meta.Namespace(route) ?? "default";
            if (!Attached(route, ns, serviceNamespace, gateway) || !HostMatches(route, host))
            {
                continue;
            }

            foreach (var rule in (route["spec"]?["rules"] as JsonArray ?? []).OfType<JsonObject>())
            {
                var matches = (rule["matches"] as JsonArray ?? []).OfType<JsonObject>().ToList();
                foreach (var match in matches.Count > 0 ? matches : [new JsonObject()])
                {
                    candidates.Add((rule, match, ns, order++));
                }
            }
        }

        var chosen = candidates
            .Where(c => Matches(c.Match, request))
            .OrderByDescending(c => PathRank(c.Match))
            .ThenByDescending(c => c.Match["method"] is null ? 0 : 1)
            .ThenByDescending(c => (c.Match["headers"] as JsonArray)?.Count ?? 0)
            .ThenByDescending(c => (c.Match["queryParams"] as JsonArray)?.Count ?? 0)
            .ThenBy(c => c.Order)
            .Select(c => ((JsonObject Rule, string Namespace)?)(c.Rule, c.Namespace))
            .FirstOrDefault();
        if (chosen is not { } hit)
        {
            return new GatewayDecision([], [], []);
        }

        var filters = (hit.Rule["filters"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        var mirrors = filters.Where(f => Meta.Str(f["type"]) == "RequestMirror")
            .Select(f => f["requestMirror"]?["backendRef"])
            .Where(b => Meta.Str(b?["name"]) is not null)
            .Select(b => (Meta.Str(b!["namespace"]) ?? hit.Namespace, Meta.Str(b["name"])!))
            .ToList();
        var backends = (hit.Rule["backendRefs"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        var total = backends.Sum(Weight);
        var result = total <= 0
            ? []
            : backends.Where(b => Weight(b) > 0 && Meta.Str(b["kind"]) is null or "Service")
                .Select(b => new GatewayBackend(Meta.Str(b["namespace"]) ?? hit.Namespace, Meta.Str(b["name"]) ?? string.Empty, (double)Weight(b) / total, SetCookies(b["filters"] as JsonArray)))
                .ToList();
        return new GatewayDecision(result, mirrors, SetCookies(hit.Rule["filters"] as JsonArray));
    }

    private static bool Attached(JsonObject route, string routeNamespace, string gatewayNamespace, string gateway) =>
        (route["spec"]?["parentRefs"] as JsonArray ?? []).OfType<JsonObject>().Any(p =>
            Meta.Str(p["name"]) == gateway
            && (Meta.Str(p["namespace"]) ?? routeNamespace) == gatewayNamespace
            && Meta.Str(p["kind"]) is null or "Gateway");

    private static bool HostMatches(JsonObject route, string? host)
    {
        var hostnames = (route["spec"]?["hostnames"] as JsonArray ?? []).Select(h => Meta.Str(h)?.ToLowerInvariant()).OfType<string>().ToList();
        return hostnames.Count == 0
            || (host is not null && hostnames.Any(h => h == host || (h.StartsWith("*.", StringComparison.Ordinal) && host.EndsWith(h[1..], StringComparison.Ordinal))));
    }

    private static bool Matches(JsonObject match, GatewayRequest request)
    {
        var query = request.PathAndQuery.IndexOf('?', StringComparison.Ordinal);
        var path = query < 0 ? request.PathAndQuery : request.PathAndQuery[..query];
        var parameters = (query < 0 ? string.Empty : request.PathAndQuery[(query + 1)..])
            .Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => p.Split('=', 2))
            .GroupBy(p => Uri.UnescapeDataString(p[0]), StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.First() is [_, var v] ? Uri.UnescapeDataString(v) : string.Empty, StringComparer.Ordinal);
        var headers = new Dictionary<string, string>(request.Headers ?? new Dictionary<string, string>(), StringComparer.OrdinalIgnoreCase);

        var pathType = Meta.Str(match["path"]?["type"]) ?? "PathPrefix";
        var pathValue = Meta.Str(match["path"]?["value"]) ?? "/";
        var pathOk = pathType switch
        {
            "Exact" => path == pathValue,
            "RegularExpression" => FullMatch(pathValue, path),
            _ => pathValue == "/" || path == pathValue.TrimEnd('/') || path.StartsWith(pathValue.TrimEnd('/') + "/", StringComparison.Ordinal),
        };
        return pathOk
            && (Meta.Str(match["method"]) is not { } method || string.Equals(method, request.Method, StringComparison.OrdinalIgnoreCase))
            && (match["headers"] as JsonArray ?? []).OfType<JsonObject>().All(h => ValueMatches(h, headers.GetValueOrDefault(Meta.Str(h["name"]) ?? string.Empty)))
            && (match["queryParams"] as JsonArray ?? []).OfType<JsonObject>().All(q => ValueMatches(q, parameters.GetValueOrDefault(Meta.Str(q["name"]) ?? string.Empty)));
    }

    private static bool ValueMatches(JsonObject match, string? actual) =>
        actual is not null && (Meta.Str(match["type"]) == "RegularExpression" ? FullMatch(Meta.Str(match["value"]) ?? string.Empty, actual) : actual == Meta.Str(match["value"]));

    private static bool FullMatch(string pattern, string value) =>
        Regex.IsMatch(value, $"^(?:{pattern})$", RegexOptions.None, TimeSpan.FromSeconds(1));

    // Exact paths first, then the longest prefix (a regular expression ranks as a prefix of its length).
    private static int PathRank(JsonObject match) =>
        (Meta.Str(match["path"]?["type"]) == "Exact" ? 1_000_000 : 0) + (Meta.Str(match["path"]?["value"]) ?? "/").Length;

    private static int Weight(JsonObject backend) => Meta.Int(backend["weight"], 1);

    private static List<string> SetCookies(JsonArray? filters) =>
        [.. (filters ?? []).OfType<JsonObject>()
            .Where(f => Meta.Str(f["type"]) == "ResponseHeaderModifier")
            .SelectMany(f => ((f["responseHeaderModifier"]?["add"] as JsonArray) ?? []).Concat((f["responseHeaderModifier"]?["set"] as JsonArray) ?? []))
            .Where(h => string.Equals(Meta.Str(h?["name"]), "Set-Cookie", StringComparison.OrdinalIgnoreCase))
            .Select(h => Meta.Str(h?["value"]) ?? string.Empty)];
}
