using System.Collections.Concurrent;
using System.Net;
using Flagger.Kubernetes.Caches;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Flagger.Kubernetes.Configs;

/// <summary>
/// The contents of the ConfigMaps and Secrets that targets reference. The cache watches only their metadata; this
/// reads one by name when config tracking first needs it and again only when the watch shows it changed (a new
/// resourceVersion), so an idle canary costs no request and no other ConfigMap or Secret is ever read. A ConfigMap is
/// kept whole (its <c>-primary</c> copy needs the data); of a Secret only its type and the checksum of its data.
/// </summary>
internal sealed class ConfigContents
{
    private readonly IKubernetes client;
    private readonly ConcurrentDictionary<(Kind, string Namespace, string Name), object> known = new();

    public ConfigContents(IKubernetes client, ClusterCache cache)
    {
        this.client = client;

        // A change seen on the watch makes what was read stale; forgetting it at once frees it, and the next read
        // fetches the new one. (Every change of an object is a new resourceVersion on its metadata too.)
        cache.ConfigMaps.Changed += (type, metadata) => Forget(Kind.ConfigMap, type, metadata);
        cache.Secrets.Changed += (type, metadata) => Forget(Kind.Secret, type, metadata);
    }

    private enum Kind
    {
        ConfigMap,
        Secret,
    }

    /// <summary>How many objects are held: the referenced ones read so far (for tests).</summary>
    internal int Count => known.Count;

    /// <summary>The ConfigMap <paramref name="metadata"/> (from the cache) describes, or null when it is gone.</summary>
    public async Task<V1ConfigMap?> ConfigMapAsync(V1ObjectMeta metadata, CancellationToken cancellationToken)
    {
        var key = (Kind.ConfigMap, metadata.NamespaceProperty, metadata.Name);
        if (known.TryGetValue(key, out var held) && held is V1ConfigMap map && Current(map.Metadata, metadata))
        {
            return map;
        }

        var read = await ReadAsync(() => client.CoreV1.ReadNamespacedConfigMapAsync(metadata.Name, metadata.NamespaceProperty, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return Keep(key, read);
    }

    /// <summary>The type and data checksum of the Secret <paramref name="metadata"/> describes, or null when it is gone.</summary>
    public async Task<SecretSummary?> SecretAsync(V1ObjectMeta metadata, CancellationToken cancellationToken)
    {
        var key = (Kind.Secret, metadata.NamespaceProperty, metadata.Name);
        if (known.TryGetValue(key, out var held) && held is SecretSummary summary && Current(summary.Metadata, metadata))
        {
            return summary;
        }

        var read = await ReadAsync(() => client.CoreV1.ReadNamespacedSecretAsync(metadata.Name, metadata.NamespaceProperty, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return Keep(key, read is null ? null : Summarise(read));
    }

    /// <summary>Remembers a ConfigMap this process wrote, so the next read needs no request.</summary>
    public void Remember(V1ConfigMap written) => Keep((Kind.ConfigMap, written.Metadata.NamespaceProperty, written.Metadata.Name), written);

    /// <summary>Remembers a Secret this process wrote (its type and checksum), so the next read needs no request.</summary>
    public void Remember(V1Secret written) => Keep((Kind.Secret, written.Metadata.NamespaceProperty, written.Metadata.Name), Summarise(written));

    /// <summary>What is kept of a Secret: its metadata, type and the checksum of its data.</summary>
    internal static SecretSummary Summarise(V1Secret secret) =>
        new(ClusterCache.Slim(secret.Metadata) ?? new V1ObjectMeta(), string.IsNullOrEmpty(secret.Type) ? "Opaque" : secret.Type, SecretDigest.Compute(secret.Data));

    // What was read is current unless the cache has seen a later version (it may be behind what a read returned).
    private static bool Current(V1ObjectMeta read, V1ObjectMeta cached) =>
        read.ResourceVersion == cached.ResourceVersion || ResourceVersions.IsStrictlyNewer(read.ResourceVersion, cached.ResourceVersion);

    private static async Task<T?> ReadAsync<T>(Func<Task<T>> read)
        where T : class
    {
        try
        {
            return await read().ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            // Deleted since the watch reported it: the caller treats it as missing, as the cache soon will.
            return null;
        }
    }

    private T? Keep<T>((Kind, string, string) key, T? value)
        where T : class
    {
        if (value is null)
        {
            known.TryRemove(key, out _);
        }
        else
        {
            known[key] = value;
        }

        return value;
    }

    private void Forget(Kind kind, WatchEventType type, V1ObjectMeta metadata)
    {
        var key = (kind, metadata.NamespaceProperty, metadata.Name);
        if (!known.TryGetValue(key, out var held))
        {
            return;
        }

        var read = held is V1ConfigMap map ? map.Metadata : ((SecretSummary)held).Metadata;
        if (type == WatchEventType.Deleted || !Current(read, metadata))
        {
            // Only the value looked at: a newer read that raced this event is kept.
            known.TryRemove(KeyValuePair.Create(key, held));
        }
    }
}

/// <summary>What config tracking keeps of a Secret: never its values.</summary>
/// <param name="Metadata">The Secret's metadata (without kubectl's last-applied copy of the data).</param>
/// <param name="Type">The Secret's type, <c>Opaque</c> when unset.</param>
/// <param name="Checksum">The checksum of its data, as config tracking records it.</param>
internal sealed record SecretSummary(V1ObjectMeta Metadata, string Type, string Checksum);
