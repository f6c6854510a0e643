using System.Text.Json;
using Flagger.Providers;
using k8s.Autorest;

namespace Flagger.Kubernetes;

/// <summary>
/// Says what the API server answered when a call failed: KubernetesClient's exception carries only
/// <c>Operation returned an invalid status code 'UnprocessableEntity'</c>, while the server's reason (which field is
/// invalid, which admission webhook refused) is in the Status body. That message goes into the Warning event, bounded
/// and with credentials in URLs redacted.
/// </summary>
internal sealed class ApiFailureDescriber : IFailureDescriber
{
    // Enough for any Status message the API server writes; an HTML error page from a proxy is cut short.
    private const int MaxBody = 512;

    public string? Describe(Exception exception)
    {
        if (exception is not HttpOperationException { Response: { } response } failed)
        {
            return null;
        }

        var body = response.Content ?? string.Empty;
        var reason = StatusMessage(body) ?? body.Trim();
        if (reason.Length > MaxBody)
        {
            reason = string.Concat(reason.AsSpan(0, MaxBody - 3), "...");
        }

        var detail = reason.Length == 0 ? failed.Message : $"{failed.Message}: {reason}";
        return SecretText.Redact(detail, []);
    }

    // The `message` of a metav1.Status body, or null when the body is not one.
    private static string? StatusMessage(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            return document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("message", out var message)
                && message.ValueKind == JsonValueKind.String
                ? message.GetString()
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
