using System.Net;
using System.Text.Json;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Options;

namespace Flagger.Istio;

/// <summary>
/// Reads and writes Istio networking objects as custom objects of the configured API version: reads come from
/// a watch-fed cache when it can answer, writes go to the server and their answers back into the cache. A
/// missing API becomes an error that says what to install; writes that lose a 409 Conflict race are retried.
/// </summary>
internal sealed class IstioObjects : IDisposable, IAsyncDisposable
{
    public const string Group = "networking.istio.io";

    private readonly IKubernetes client;
    private readonly IstioRouterOptions options;
    private readonly Dictionary<string, IstioObjectCache> caches = new(StringComparer.Ordinal);

    public IstioObjects(IKubernetes client, IOptions<IstioRouterOptions> options, TimeProvider time)
    {
        this.client = client;
        this.options = options.Value;
        if (this.options.UseWatchCache)
        {
            foreach (var plural in new[] { Model.VirtualService.Plural, Model.DestinationRule.Plural })
            {
                caches[plural] = new IstioObjectCache(client, Group, this.options.Version, plural, this.options.Namespace, time);
            }
        }
    }

    public string ApiVersion => options.ApiVersion;

    /// <summary>
    /// True when the watch cache can answer for the object: <paramref name="version"/> is its resourceVersion, or
    /// null when it does not exist. False without a cache, before its first list and after a lost conflict.
    /// </summary>
    public bool TryGetVersion(string plural, string @namespace, string name, out string? version)
    {
        version = null;
        return caches.GetValueOrDefault(plural) is { } cache && cache.TryGetVersion(@namespace, name, out version);
    }

    /// <summary>The object, or null when it does not exist.</summary>
    public async Task<T?> GetAsync<T>(string plural, string @namespace, string name, CancellationToken cancellationToken)
        where T : class
    {
        var cache = caches.GetValueOrDefault(plural);
        if (cache is not null && cache.TryGet(@namespace, name, out var cached))
        {
            return cached is { } item ? IstioJson.Deserialize<T>(item) : null;
        }

        try
        {
            var live = (JsonElement)await client.CustomObjects.GetNamespacedCustomObjectAsync(Group, options.Version, @namespace, plural, name, cancellationToken).ConfigureAwait(false);
            cache?.Remember(live);
            return IstioJson.Deserialize<T>(live);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    public async Task CreateAsync<T>(T body, string plural, string @namespace, CancellationToken cancellationToken)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        try
        {
            var created = await client.CustomObjects.CreateNamespacedCustomObjectAsync(IstioJson.ToElement(body), Group, options.Version, @namespace, plural, cancellationToken: cancellationToken).ConfigureAwait(false);
            caches.GetValueOrDefault(plural)?.Remember((JsonElement)created);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            throw new InvalidOperationException(
                $"{body.Kind} {body.Metadata.Name}.{@namespace} cannot be created: {Group}/{options.Version} {plural} is not served ({e.Response.Content?.Trim()}); is Istio installed, and does the Istio ApiVersion option match its CRDs?",
                e);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
        {
            caches.GetValueOrDefault(plural)?.Forget(@namespace, body.Metadata.Name);
            throw;
        }
    }

    public async Task ReplaceAsync<T>(T body, string plural, string @namespace, CancellationToken cancellationToken)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        try
        {
            var replaced = await client.CustomObjects.ReplaceNamespacedCustomObjectAsync(IstioJson.ToElement(body), Group, options.Version, @namespace, plural, body.Metadata.Name, cancellationToken: cancellationToken).ConfigureAwait(false);
            caches.GetValueOrDefault(plural)?.Remember((JsonElement)replaced);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode is HttpStatusCode.Conflict or HttpStatusCode.NotFound)
        {
            // The copy we decided on was out of date: the next read must go to the server.
            caches.GetValueOrDefault(plural)?.Forget(@namespace, body.Metadata.Name);
            throw;
        }
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
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict && attempt < options.ConflictRetries)
            {
                // Someone else wrote in between: read again and decide again.
            }
        }
    }

    public void Dispose()
    {
        foreach (var cache in caches.Values)
        {
            cache.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var cache in caches.Values)
        {
            await cache.DisposeAsync().ConfigureAwait(false);
        }
    }
}
