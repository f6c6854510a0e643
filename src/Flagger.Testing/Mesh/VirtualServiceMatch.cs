using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Flagger.Testing.Storage;

namespace Flagger.Testing.Mesh;

/// <summary>What routing looks at in a request: its path, method and headers (names in lower case).</summary>
/// <param name="Path">Path and query, e.g. <c>/token</c>.</param>
/// <param name="Method">The HTTP method.</param>
/// <param name="Headers">Headers by lower-case name; <c>cookie</c> carries the cookies.</param>
public sealed record MeshRequest(string Path, string Method, IReadOnlyDictionary<string, string> Headers)
{
    /// <summary>A plain <c>GET /</c> with no headers.</summary>
    public static MeshRequest Default { get; } = new("/", "GET", new Dictionary<string, string>());
}

/// <summary>
/// Istio's HTTP route selection: the first entry of a VirtualService's <c>http</c> list whose <c>match</c> accepts the
/// request takes it; an entry without <c>match</c> accepts every request. A match accepts when all its conditions
/// hold (<c>headers</c>, <c>uri</c>, <c>method</c>, each <c>exact</c>, <c>prefix</c> or <c>regex</c>); a list of
/// matches accepts when any does.
/// </summary>
internal static class VirtualServiceMatch
{
    /// <summary>The first HTTP route of <paramref name="http"/> that takes <paramref name="request"/>, or null.</summary>
    public static JsonObject? Select(JsonArray? http, MeshRequest request) =>
        (http ?? []).OfType<JsonObject>().FirstOrDefault(route => Accepts(route["match"] as JsonArray, request));

    /// <summary>Whether a route's <c>match</c> list accepts the request.</summary>
    public static bool Accepts(JsonArray? matches, MeshRequest request) =>
        matches is null || matches.Count == 0 || matches.OfType<JsonObject>().Any(m => AcceptsOne(m, request));

    private static bool AcceptsOne(JsonObject match, MeshRequest request)
    {
        if (match["uri"] is JsonObject uri && !StringMatches(uri, request.Path.Split('?')[0]))
        {
            return false;
        }

        if (match["method"] is JsonObject method && !StringMatches(method, request.Method))
        {
            return false;
        }

        foreach (var (name, condition) in match["headers"] as JsonObject ?? [])
        {
            if (condition is not JsonObject rule || !request.Headers.TryGetValue(name.ToLowerInvariant(), out var value) || !StringMatches(rule, value))
            {
                return false;
            }
        }

        return true;
    }

    private static bool StringMatches(JsonObject rule, string value) =>
        Meta.Str(rule["exact"]) is { } exact ? value == exact
        : Meta.Str(rule["prefix"]) is { } prefix ? value.StartsWith(prefix, StringComparison.Ordinal)
        : Meta.Str(rule["regex"]) is not { } regex || Regex.IsMatch(value, $"^(?:{regex})$", RegexOptions.None, TimeSpan.FromSeconds(1));
}
