using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Flagger.Testing.Api;

/// <summary>Reading and writing JSON bodies without synchronous I/O.</summary>
internal static class HttpJson
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static async Task WriteAsync(HttpContext context, int status, JsonNode node, CancellationToken ct)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        var bytes = JsonSerializer.SerializeToUtf8Bytes(node, Pretty(context) ? Indented : null);
        context.Response.ContentLength = bytes.Length;
        await context.Response.Body.WriteAsync(bytes, ct).ConfigureAwait(false);
    }

    /// <summary>Not <see cref="QueryFlags.Get"/>: the 400 that rejects a bad <c>pretty</c> is itself written here.</summary>
    private static bool Pretty(HttpContext context) => QueryFlags.Parse(context.Request.Query["pretty"].ToString()) == true;

    public static Task WriteStatusAsync(HttpContext context, ApiException error, CancellationToken ct) =>
        WriteAsync(context, error.Code, error.ToStatus(), ct);

    public static async Task<JsonNode?> ReadAsync(HttpContext context, CancellationToken ct)
    {
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer, ct).ConfigureAwait(false);
        if (buffer.Length == 0)
        {
            return null;
        }

        if (context.Request.ContentType?.Contains("protobuf", StringComparison.Ordinal) == true)
        {
            return ProtobufBodies.Decode(buffer.ToArray());
        }

        try
        {
            return JsonNode.Parse(buffer.ToArray());
        }
        catch (JsonException e)
        {
            throw ApiException.BadRequest($"the request body is not valid JSON: {e.Message}");
        }
    }

    public static async Task<JsonObject> ReadObjectAsync(HttpContext context, CancellationToken ct) =>
        await ReadAsync(context, ct).ConfigureAwait(false) as JsonObject
        ?? throw ApiException.BadRequest("the request body must be a JSON object");
}
