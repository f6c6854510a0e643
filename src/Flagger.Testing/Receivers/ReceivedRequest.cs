using System.Text.Json;

namespace Flagger.Testing.Receivers;

/// <summary>One request a <see cref="RecordingReceiver"/> received.</summary>
/// <param name="Method">The HTTP method.</param>
/// <param name="Path">The path, without the query.</param>
/// <param name="Query">The query string with its <c>?</c>, or empty.</param>
/// <param name="ContentType">The Content-Type header, if any.</param>
/// <param name="Authorization">The Authorization header, if any.</param>
/// <param name="Body">The body as text.</param>
public sealed record ReceivedRequest(string Method, string Path, string Query, string? ContentType, string? Authorization, string Body)
{
    /// <summary>The body parsed as JSON (throws <see cref="JsonException"/> when it is not).</summary>
    public JsonElement Json()
    {
        using var document = JsonDocument.Parse(Body);
        return document.RootElement.Clone();
    }
}
