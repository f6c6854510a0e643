using System.Text.Json;
using System.Text.Json.Nodes;

namespace Flagger.GatewayApi;

/// <summary>
/// Istio-shaped request matches (<c>spec.service.match</c>, <c>analysis.match</c>) as Gateway API
/// <c>HTTPRouteMatch</c>es: <c>uri</c> exact/prefix/regex becomes <c>path</c>, <c>method.exact</c> the method,
/// <c>headers</c> and <c>queryParams</c> exact/regex their Gateway API counterparts. Anything else has no Gateway API
/// equivalent and is refused with the selector that cannot be mapped.
/// </summary>
internal static class HttpRouteMatches
{
    /// <summary>Matches every request: what a rule without matches would default to.</summary>
    public static JsonObject CatchAll() => new() { ["path"] = new JsonObject { ["type"] = "PathPrefix", ["value"] = "/" } };

    public static List<JsonObject> Map(JsonElement? requestMatches)
    {
        var matches = new List<JsonObject>();
        if (requestMatches is not { ValueKind: JsonValueKind.Array } array)
        {
            return matches;
        }

        foreach (var request in array.EnumerateArray().Where(r => r.ValueKind == JsonValueKind.Object))
        {
            var match = new JsonObject();
            if (request.TryGetProperty("uri", out var uri))
            {
                match["path"] = StringMatch(uri, "PathPrefix") is { } path
                    ? new JsonObject { ["type"] = path.Type, ["value"] = path.Value }
                    : throw Unsupported("path", uri);
            }

            if (request.TryGetProperty("method", out var method))
            {
                match["method"] = method.ValueKind == JsonValueKind.Object && method.TryGetProperty("exact", out var exact) && exact.GetString() is { Length: > 0 } verb
                    ? verb
                    : throw Unsupported("method", method);
            }

            if (NameValueMatches(request, "headers", "header") is { Count: > 0 } headers)
            {
                match["headers"] = headers;
            }

            if (NameValueMatches(request, "queryParams", "query") is { Count: > 0 } query)
            {
                match["queryParams"] = query;
            }

            if (match.Count > 0)
            {
                matches.Add(match);
            }
        }

        return matches;
    }

    /// <summary>
    /// Every analysis condition combined with every service match: the service's path and method stay, the
    /// condition's headers and query parameters replace the service's (as Flagger combines them).
    /// </summary>
    public static List<JsonObject> Merge(IReadOnlyList<JsonObject> analysis, IReadOnlyList<JsonObject> service)
    {
        if (analysis.Count == 0)
        {
            return [.. service.Select(s => s.DeepClone().AsObject())];
        }

        if (service.Count == 0)
        {
            return [.. analysis.Select(a => a.DeepClone().AsObject())];
        }

        var merged = new List<JsonObject>();
        foreach (var condition in analysis)
        {
            foreach (var fallback in service)
            {
                var item = fallback.DeepClone().AsObject();
                foreach (var field in new[] { "headers", "queryParams" })
                {
                    if (condition[field] is JsonArray { Count: > 0 } values)
                    {
                        item[field] = values.DeepClone();
                    }
                }

                merged.Add(item);
            }
        }

        return merged;
    }

    private static JsonArray NameValueMatches(JsonElement request, string field, string what)
    {
        var result = new JsonArray();
        if (!request.TryGetProperty(field, out var map) || map.ValueKind != JsonValueKind.Object)
        {
            return result;
        }

        // Sorted by name, so the route reads the same on every reconcile whatever order the map had.
        foreach (var entry in map.EnumerateObject().OrderBy(e => e.Name, StringComparer.Ordinal))
        {
            var (type, value) = StringMatch(entry.Value, prefixType: null) ?? throw Unsupported(what, entry.Value);
            result.Add((JsonNode)new JsonObject { ["type"] = type, ["name"] = entry.Name, ["value"] = value });
        }

        return result;
    }

    /// <summary>An Istio StringMatch as a Gateway API match type and value; null when it has no equivalent.</summary>
    private static (string Type, string Value)? StringMatch(JsonElement match, string? prefixType)
    {
        if (match.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        if (Text(match, "regex") is { } regex)
        {
            return ("RegularExpression", regex);
        }

        if (Text(match, "exact") is { } exact)
        {
            return ("Exact", exact);
        }

        return prefixType is not null && Text(match, "prefix") is { } prefix ? (prefixType, prefix) : null;
    }

    private static string? Text(JsonElement match, string name) =>
        match.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } text ? text : null;

    private static InvalidOperationException Unsupported(string what, JsonElement selector) =>
        new($"Invalid request matching selectors: Gateway API doesn't support the specified {what} matching selector: {selector.GetRawText()}");
}
