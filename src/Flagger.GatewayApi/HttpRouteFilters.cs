using System.Text.Json;
using System.Text.Json.Nodes;
using Flagger.Model;

namespace Flagger.GatewayApi;

/// <summary>
/// The rule-level filters <c>spec.service</c> asks for: request and response header modifiers from
/// <c>headers</c>, a URL rewrite from <c>rewrite</c>, the static mirrors of <c>mirror</c>, and a CORS filter from
/// <c>corsPolicy</c>, in that order (Flagger's).
/// </summary>
internal static class HttpRouteFilters
{
    public static JsonArray For(CanaryService service)
    {
        var filters = new JsonArray();
        if (service.Headers is { ValueKind: JsonValueKind.Object } headers)
        {
            foreach (var (direction, type, field) in new[] { ("request", "RequestHeaderModifier", "requestHeaderModifier"), ("response", "ResponseHeaderModifier", "responseHeaderModifier") })
            {
                if (headers.TryGetProperty(direction, out var operations) && operations.ValueKind == JsonValueKind.Object)
                {
                    filters.Add((JsonNode)new JsonObject { ["type"] = type, [field] = HeaderModifier(operations) });
                }
            }
        }

        if (service.Rewrite is { } rewrite && (!string.IsNullOrEmpty(rewrite.Uri) || !string.IsNullOrEmpty(rewrite.Authority)))
        {
            var urlRewrite = new JsonObject();
            if (!string.IsNullOrEmpty(rewrite.Authority))
            {
                urlRewrite["hostname"] = rewrite.Authority;
            }

            if (!string.IsNullOrEmpty(rewrite.Uri))
            {
                urlRewrite["path"] = rewrite.Type == "ReplacePrefixMatch"
                    ? new JsonObject { ["type"] = "ReplacePrefixMatch", ["replacePrefixMatch"] = rewrite.Uri }
                    : new JsonObject { ["type"] = "ReplaceFullPath", ["replaceFullPath"] = rewrite.Uri };
            }

            filters.Add((JsonNode)new JsonObject { ["type"] = "URLRewrite", ["urlRewrite"] = urlRewrite });
        }

        if (service.Mirror is { ValueKind: JsonValueKind.Array } mirrors)
        {
            foreach (var mirror in mirrors.EnumerateArray().Where(m => m.ValueKind == JsonValueKind.Object))
            {
                filters.Add((JsonNode)new JsonObject { ["type"] = "RequestMirror", ["requestMirror"] = JsonNode.Parse(mirror.GetRawText()) });
            }
        }

        if (service.CorsPolicy is { ValueKind: JsonValueKind.Object } cors)
        {
            filters.Add((JsonNode)new JsonObject { ["type"] = "CORS", ["cors"] = Cors(cors) });
        }

        return filters;
    }

    /// <summary>Istio's header operations (<c>add</c>/<c>set</c> maps, <c>remove</c> list) as an HTTPHeaderFilter, sorted by name.</summary>
    private static JsonObject HeaderModifier(JsonElement operations)
    {
        var modifier = new JsonObject();
        foreach (var verb in new[] { "add", "set" })
        {
            if (operations.TryGetProperty(verb, out var map) && map.ValueKind == JsonValueKind.Object)
            {
                modifier[verb] = new JsonArray([.. map.EnumerateObject()
                    .Select(h => (h.Name, Value: h.Value.ValueKind == JsonValueKind.String ? h.Value.GetString() ?? string.Empty : h.Value.GetRawText()))
                    .OrderBy(h => h.Name, StringComparer.Ordinal).ThenBy(h => h.Value, StringComparer.Ordinal)
                    .Select(h => (JsonNode?)new JsonObject { ["name"] = h.Name, ["value"] = h.Value })]);
            }
        }

        if (operations.TryGetProperty("remove", out var remove) && remove.ValueKind == JsonValueKind.Array)
        {
            modifier["remove"] = JsonNode.Parse(remove.GetRawText());
        }

        return modifier;
    }

    /// <summary>
    /// Istio's corsPolicy as an HTTPCORSFilter. Only plain origins (<c>allowOrigin</c>) exist in the Gateway API; the
    /// pattern form <c>allowOrigins</c> has no equivalent and is left out, as Flagger does.
    /// </summary>
    private static JsonObject Cors(JsonElement policy)
    {
        var cors = new JsonObject();
        foreach (var (from, to) in new[] { ("allowOrigin", "allowOrigins"), ("allowMethods", "allowMethods"), ("allowHeaders", "allowHeaders"), ("exposeHeaders", "exposeHeaders") })
        {
            if (policy.TryGetProperty(from, out var list) && list.ValueKind == JsonValueKind.Array && list.GetArrayLength() > 0)
            {
                cors[to] = JsonNode.Parse(list.GetRawText());
            }
        }

        if (policy.TryGetProperty("allowCredentials", out var credentials) && credentials.ValueKind == JsonValueKind.True)
        {
            cors["allowCredentials"] = true;
        }

        if (policy.TryGetProperty("maxAge", out var maxAge) && maxAge.ValueKind == JsonValueKind.String && GoDuration.TryParse(maxAge.GetString(), out var age))
        {
            cors["maxAge"] = (int)age.TotalSeconds;
        }

        return cors;
    }
}
