using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using Microsoft.Extensions.Options;

namespace Flagger.GatewayApi;

/// <summary>
/// Reads and writes HTTPRoutes of one Gateway API version as JSON objects, so every field a user or a Gateway
/// controller wrote survives a replace. A version the cluster does not serve becomes an error that says what to
/// install; writes that lose a 409 Conflict race are retried from a fresh read.
/// </summary>
internal sealed class HttpRoutes(IKubernetes client, IOptions<GatewayApiRouterOptions> options)
{
    public const string Group = "gateway.networking.k8s.io";
    public const string Plural = "httproutes";
    public const string Kind = "HTTPRoute";

    /// <summary>The HTTPRoute, or null when it does not exist.</summary>
    public async Task<JsonObject?> GetAsync(string version, string @namespace, string name, CancellationToken cancellationToken)
    {
        try
        {
            var live = (JsonElement)await client.CustomObjects.GetNamespacedCustomObjectAsync(Group, version, @namespace, Plural, name, cancellationToken).ConfigureAwait(false);
            return JsonNode.Parse(live.GetRawText())?.AsObject();
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    public async Task CreateAsync(string version, JsonObject route, CancellationToken cancellationToken)
    {
        var (ns, name) = Id(route);
        try
        {
            await client.CustomObjects.CreateNamespacedCustomObjectAsync(Body(route), Group, version, ns, Plural, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            throw new InvalidOperationException(
                $"{Kind} {name}.{ns} cannot be created: {Group}/{version} {Plural} is not served ({e.Response.Content?.Trim()}); are the Gateway API CRDs installed, and does the provider gatewayapi:{version} match them?",
                e);
        }
    }

    public async Task ReplaceAsync(string version, JsonObject route, CancellationToken cancellationToken)
    {
        var (ns, name) = Id(route);
        await client.CustomObjects.ReplaceNamespacedCustomObjectAsync(Body(route), Group, version, ns, Plural, name, cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Runs a read-decide-write step, re-running it from the read when the write loses an optimistic-concurrency
    /// race (409 Conflict on replace, or AlreadyExists when someone else created the object first).
    /// </summary>
    public async Task RetryOnConflictAsync(Func<CancellationToken, Task> step, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await step(cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict && attempt < options.Value.ConflictRetries)
            {
                // Someone else wrote in between: read again and decide again.
            }
        }
    }

    // The client serialises a JsonElement as it is, with no reflection.
    private static JsonElement Body(JsonObject route)
    {
        using var document = JsonDocument.Parse(route.ToJsonString());
        return document.RootElement.Clone();
    }

    private static (string Namespace, string Name) Id(JsonObject route) =>
        (route["metadata"]?["namespace"]?.GetValue<string>() ?? string.Empty, route["metadata"]?["name"]?.GetValue<string>() ?? string.Empty);
}
