using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Flagger.Kubernetes;
using Flagger.Kubernetes.Caches;
using k8s;
using k8s.Autorest;
using Microsoft.Extensions.Options;

namespace Flagger.GatewayApi;

/// <summary>
/// Reads and writes HTTPRoutes of one Gateway API version as JSON objects, so every field a user or a Gateway
/// controller wrote survives a replace. Reads come from the Kubernetes package's custom-object informer when it
/// can answer, so an idle canary costs no request; writes go to the server and their answers back into the
/// informer. A version the cluster does not serve becomes an error that says what to install; writes that lose a
/// 409 Conflict race are retried from a fresh read.
/// </summary>
internal sealed class HttpRoutes(IKubernetes client, IOptions<GatewayApiRouterOptions> options, CustomObjectInformers informers, IOptions<KubernetesOptions>? kubernetes = null)
{
    public const string Group = "gateway.networking.k8s.io";
    public const string Plural = "httproutes";
    public const string Kind = "HTTPRoute";

    /// <summary>The HTTPRoute, or null when it does not exist.</summary>
    public async Task<JsonObject?> GetAsync(string version, string @namespace, string name, CancellationToken cancellationToken)
    {
        var cache = Cache(version);
        if (cache is not null && cache.TryGet(@namespace, name, out var cached))
        {
            // The cached element is shared: each caller gets its own copy to change.
            return cached is { } item ? JsonNode.Parse(item.GetRawText())?.AsObject() : null;
        }

        try
        {
            var live = (JsonElement)await client.CustomObjects.GetNamespacedCustomObjectAsync(Group, version, @namespace, Plural, name, cancellationToken).ConfigureAwait(false);
            cache?.Remember(live);
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
            var created = await client.CustomObjects.CreateNamespacedCustomObjectAsync(Body(route), Group, version, ns, Plural, cancellationToken: cancellationToken).ConfigureAwait(false);
            Cache(version)?.Remember((JsonElement)created);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            throw new InvalidOperationException(
                $"{Kind} {name}.{ns} cannot be created: {Group}/{version} {Plural} is not served ({e.Response.Content?.Trim()}); are the Gateway API CRDs installed, and does the provider gatewayapi:{version} match them?",
                e);
        }
        catch (HttpOperationException e) when (RetryOnConflict.IsConflict(e))
        {
            Cache(version)?.Forget(ns, name);
            throw;
        }
    }

    public async Task ReplaceAsync(string version, JsonObject route, CancellationToken cancellationToken)
    {
        var (ns, name) = Id(route);
        try
        {
            var replaced = await client.CustomObjects.ReplaceNamespacedCustomObjectAsync(Body(route), Group, version, ns, Plural, name, cancellationToken: cancellationToken).ConfigureAwait(false);
            Cache(version)?.Remember((JsonElement)replaced);
        }
        catch (HttpOperationException e) when (RetryOnConflict.IsConflict(e) || e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            // The copy we decided on was out of date: the next read must go to the server.
            Cache(version)?.Forget(ns, name);
            throw;
        }
    }

    /// <summary>
    /// Runs a read-decide-write step, re-running it from the read when the write loses an optimistic-concurrency
    /// race (409 Conflict on replace, or AlreadyExists when someone else created the object first).
    /// </summary>
    public Task RetryOnConflictAsync(Func<CancellationToken, Task> step, CancellationToken cancellationToken) =>
        RetryOnConflict.RunAsync(options.Value.ConflictRetries, step, cancellationToken);

    // One informer per version, shared with every other user of the same resource; it starts on its first read.
    // The operator's own -namespace restriction applies unless the Gateway API options name one.
    private CustomObjectInformer? Cache(string version) =>
        options.Value.UseWatchCache
            ? informers.Get(client, Group, version, Plural, string.IsNullOrEmpty(options.Value.Namespace) ? kubernetes?.Value.Namespace : options.Value.Namespace)
            : null;

    // The client serialises a JsonElement as it is, with no reflection.
    private static JsonElement Body(JsonObject route)
    {
        using var document = JsonDocument.Parse(route.ToJsonString());
        return document.RootElement.Clone();
    }

    private static (string Namespace, string Name) Id(JsonObject route) =>
        (route["metadata"]?["namespace"]?.GetValue<string>() ?? string.Empty, route["metadata"]?["name"]?.GetValue<string>() ?? string.Empty);
}
