using System.Net;
using System.Text.Json;
using Flagger.Kubernetes;
using Flagger.Kubernetes.Caches;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Options;

namespace Flagger.Istio;

/// <summary>
/// Reads and writes Istio networking objects as custom objects of the configured API version: reads come from
/// the Kubernetes package's custom-object informer when it can answer, writes go to the server and their answers
/// back into the informer. A missing API becomes an error that says what to install; writes that lose a
/// 409 Conflict race are retried.
/// </summary>
internal sealed class IstioObjects
{
    public const string Group = "networking.istio.io";

    private readonly IKubernetes client;
    private readonly IstioRouterOptions options;
    private readonly Dictionary<string, CustomObjectInformer> caches = new(StringComparer.Ordinal);

    public IstioObjects(IKubernetes client, IOptions<IstioRouterOptions> options, CustomObjectInformers informers, IOptions<KubernetesOptions>? kubernetes = null)
    {
        this.client = client;
        this.options = options.Value;
        if (this.options.UseWatchCache)
        {
            // The operator's own -namespace restriction applies unless the Istio options name one.
            var watched = string.IsNullOrEmpty(this.options.Namespace) ? kubernetes?.Value.Namespace : this.options.Namespace;
            foreach (var plural in new[] { Model.VirtualService.Plural, Model.DestinationRule.Plural })
            {
                caches[plural] = informers.Get(client, Group, this.options.Version, plural, watched);
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
        if (caches.GetValueOrDefault(plural) is not { } cache || !cache.TryGet(@namespace, name, out var found))
        {
            return false;
        }

        // One field, where a read would deserialize the whole object.
        version = found is { } item && item.TryGetProperty("metadata", out var metadata) && metadata.TryGetProperty("resourceVersion", out var rv) ? rv.GetString() : null;
        return true;
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
        catch (HttpOperationException e) when (RetryOnConflict.IsConflict(e))
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
        catch (HttpOperationException e) when (RetryOnConflict.IsConflict(e) || e.Response.StatusCode == HttpStatusCode.NotFound)
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
    public Task RetryOnConflictAsync(Func<CancellationToken, Task> step, CancellationToken cancellationToken) =>
        RetryOnConflict.RunAsync(options.ConflictRetries, step, cancellationToken);
}
