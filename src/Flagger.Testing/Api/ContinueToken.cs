using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Flagger.Testing.Api;

/// <summary>
/// A list's <c>continue</c> token in kube-apiserver's shape: base64 of <c>{"v":"meta.k8s.io/v1","rv":N,"start":"key\u0000"}</c>,
/// the resourceVersion every page is read at and the storage key the next page starts from.
/// </summary>
internal static class ContinueToken
{
    private const string Version = "meta.k8s.io/v1";

    public static string Write(string lastKey, long resourceVersion) => Convert.ToBase64String(Encoding.UTF8.GetBytes(new JsonObject
    {
        ["v"] = Version,
        ["rv"] = resourceVersion,
        ["start"] = lastKey + "\u0000",
    }.ToJsonString()));

    /// <summary>The key to start after and the version to read at; 400 for a token this server did not write.</summary>
    public static (string StartAfter, long ResourceVersion) Parse(string token)
    {
        try
        {
            var body = JsonNode.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(token)));
            if (body?["v"]?.GetValue<string>() == Version
                && body["rv"]?.GetValue<long>() is { } rv and > 0
                && body["start"]?.GetValue<string>() is { Length: > 0 } start
                && start[^1] == '\u0000')
            {
                return (start[..^1], rv);
            }
        }
        catch (Exception e) when (e is FormatException or JsonException or InvalidOperationException)
        {
            // Below.
        }

        throw ApiException.BadRequest("continue key is not valid: the token was not issued by this server or is malformed");
    }
}
