using Flagger.Kubernetes.Caches;
using Flagger.Model;
using Flagger.Store;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Options;

namespace Flagger.Kubernetes.Configs;

/// <summary>
/// Config tracking (Flagger's ConfigTracker): the ConfigMaps and Secrets a pod spec references, their checksums,
/// their <c>-primary</c> copies, and the primary pod spec rewritten to use the copies. Which exist, and their
/// annotations, come from the cache's metadata; their contents from <see cref="ConfigContents"/>.
/// </summary>
internal sealed class ConfigTracker(IKubernetes client, ClusterCache cache, IOptions<KubernetesOptions> options, OwnershipConflicts? conflicts = null, ICanaryStore? store = null, TimeProvider? time = null)
{
    private readonly ConfigContents contents = new(client, cache);

    internal const string OptOutAnnotation = "flagger.app/config-tracking";

    // Docker registry credentials and service account tokens are not application configuration.
    private static readonly HashSet<string> TrackedSecretTypes = new(StringComparer.Ordinal)
    {
        "Opaque", "kubernetes.io/basic-auth", "kubernetes.io/ssh-auth", "kubernetes.io/tls",
    };

    /// <summary>Checksums by <c>configmap/name</c> / <c>secret/name</c> of the tracked configs the pod spec references.</summary>
    public async Task<IReadOnlyDictionary<string, string>> GetTrackedConfigsAsync(string @namespace, V1PodSpec? spec, CancellationToken cancellationToken)
    {
        var tracked = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var config in await ResolveAsync(@namespace, spec, cancellationToken).ConfigureAwait(false))
        {
            tracked[config.Key] = config.Checksum;
        }

        return tracked;
    }

    /// <summary>Creates or updates the <c>-primary</c> copies and returns the tracked references to rewrite.</summary>
    public async Task<IReadOnlyCollection<TrackedConfig>> CopyToPrimaryAsync(Canary canary, V1PodSpec? spec, CancellationToken cancellationToken)
    {
        var configs = await ResolveAsync(canary.Namespace, spec, cancellationToken).ConfigureAwait(false);
        foreach (var config in configs)
        {
            if (config.ConfigMap is { } map)
            {
                await UpsertConfigMapAsync(canary, map, cancellationToken).ConfigureAwait(false);
            }
            else if (config.Secret is { } secret)
            {
                await UpsertSecretAsync(canary, secret, cancellationToken).ConfigureAwait(false);
            }
        }

        return configs;
    }

    /// <summary>Points the pod spec's references of tracked configs at their <c>-primary</c> copies.</summary>
    public static void RewriteReferences(V1PodSpec spec, IReadOnlyCollection<TrackedConfig> configs)
    {
        var maps = configs.Where(c => c.ConfigMap is not null).Select(c => c.Name).ToHashSet(StringComparer.Ordinal);
        var secrets = configs.Where(c => c.Secret is not null).Select(c => c.Name).ToHashSet(StringComparer.Ordinal);
        string Map(string name) => maps.Contains(name) ? name + "-primary" : name;
        string Secret(string name) => secrets.Contains(name) ? name + "-primary" : name;
        foreach (var volume in spec.Volumes ?? [])
        {
            if (volume.ConfigMap is { Name: { } cm })
            {
                volume.ConfigMap.Name = Map(cm);
            }

            if (volume.Secret is { SecretName: { } s })
            {
                volume.Secret.SecretName = Secret(s);
            }

            foreach (var source in volume.Projected?.Sources ?? [])
            {
                if (source.ConfigMap is { Name: { } pcm })
                {
                    source.ConfigMap.Name = Map(pcm);
                }

                if (source.Secret is { Name: { } ps })
                {
                    source.Secret.Name = Secret(ps);
                }
            }
        }

        foreach (var container in (spec.Containers ?? []).Concat(spec.InitContainers ?? []))
        {
            foreach (var env in container.Env ?? [])
            {
                if (env.ValueFrom?.ConfigMapKeyRef is { Name: { } cm })
                {
                    env.ValueFrom.ConfigMapKeyRef.Name = Map(cm);
                }

                if (env.ValueFrom?.SecretKeyRef is { Name: { } s })
                {
                    env.ValueFrom.SecretKeyRef.Name = Secret(s);
                }
            }

            foreach (var from in container.EnvFrom ?? [])
            {
                if (from.ConfigMapRef is { Name: { } cm })
                {
                    from.ConfigMapRef.Name = Map(cm);
                }

                if (from.SecretRef is { Name: { } s })
                {
                    from.SecretRef.Name = Secret(s);
                }
            }
        }
    }

    /// <summary>Test hook: how many referenced ConfigMaps and Secrets have been read and are held.</summary>
    internal int ContentsHeld => contents.Count;

    private async Task<List<TrackedConfig>> ResolveAsync(string @namespace, V1PodSpec? spec, CancellationToken cancellationToken)
    {
        var result = new List<TrackedConfig>();
        if (!options.Value.EnableConfigTracking || spec is null)
        {
            return result;
        }

        foreach (var (kind, name, optional) in References(spec).Distinct())
        {
            var metadata = kind == "configmap" ? cache.ConfigMaps.Get(@namespace, name) : cache.Secrets.Get(@namespace, name);
            if (metadata is not null && OptedOut(metadata))
            {
                continue;
            }

            if (kind == "configmap")
            {
                var map = metadata is null ? null : await contents.ConfigMapAsync(metadata, cancellationToken).ConfigureAwait(false);
                if (map is null)
                {
                    ThrowUnlessOptional(optional, kind, @namespace, name);
                    continue;
                }

                result.Add(new TrackedConfig(name, SpecHash.ComputeConfigChecksum(map.Data?.ToDictionary(kv => kv.Key, kv => kv.Value)), map, null));
            }
            else
            {
                var secret = metadata is null ? null : await contents.SecretAsync(metadata, cancellationToken).ConfigureAwait(false);
                if (secret is null)
                {
                    ThrowUnlessOptional(optional, kind, @namespace, name);
                    continue;
                }

                if (TrackedSecretTypes.Contains(secret.Type))
                {
                    result.Add(new TrackedConfig(name, secret.Checksum, null, secret));
                }
            }
        }

        return result.DistinctBy(c => c.Key).ToList();
    }

    private static void ThrowUnlessOptional(bool optional, string kind, string @namespace, string name)
    {
        // Optional references may be absent (Kubernetes starts the pod anyway); mandatory ones fail the step.
        if (!optional)
        {
            throw new InvalidOperationException($"{kind} {@namespace}/{name} not found");
        }
    }

    private static bool OptedOut(V1ObjectMeta? meta) =>
        meta?.Annotations?.TryGetValue(OptOutAnnotation, out var value) == true && value.StartsWith("disable", StringComparison.Ordinal);

    internal static IEnumerable<(string Kind, string Name, bool Optional)> References(V1PodSpec spec)
    {
        foreach (var volume in spec.Volumes ?? [])
        {
            if (volume.ConfigMap?.Name is { } cm)
            {
                yield return ("configmap", cm, volume.ConfigMap.Optional == true);
            }

            if (volume.Secret?.SecretName is { } s)
            {
                yield return ("secret", s, volume.Secret.Optional == true);
            }

            foreach (var source in volume.Projected?.Sources ?? [])
            {
                if (source.ConfigMap?.Name is { } pcm)
                {
                    yield return ("configmap", pcm, source.ConfigMap.Optional == true);
                }

                if (source.Secret?.Name is { } ps)
                {
                    yield return ("secret", ps, source.Secret.Optional == true);
                }
            }
        }

        foreach (var container in (spec.Containers ?? []).Concat(spec.InitContainers ?? []))
        {
            foreach (var env in container.Env ?? [])
            {
                if (env.ValueFrom?.ConfigMapKeyRef?.Name is { } cm)
                {
                    yield return ("configmap", cm, env.ValueFrom.ConfigMapKeyRef.Optional == true);
                }

                if (env.ValueFrom?.SecretKeyRef?.Name is { } s)
                {
                    yield return ("secret", s, env.ValueFrom.SecretKeyRef.Optional == true);
                }
            }

            foreach (var from in container.EnvFrom ?? [])
            {
                if (from.ConfigMapRef?.Name is { } cm)
                {
                    yield return ("configmap", cm, from.ConfigMapRef.Optional == true);
                }

                if (from.SecretRef?.Name is { } s)
                {
                    yield return ("secret", s, from.SecretRef.Optional == true);
                }
            }
        }
    }

    private async Task UpsertConfigMapAsync(Canary canary, V1ConfigMap source, CancellationToken ct)
    {
        var name = source.Metadata.Name + "-primary";
        var existing = cache.ConfigMaps.Get(canary.Namespace, name);
        await GuardAsync(canary, "ConfigMap", name, existing, ct).ConfigureAwait(false);
        var desired = new V1ConfigMap
        {
            Metadata = PrimaryMeta(canary, source.Metadata, name, existing),
            Data = source.Data,
            BinaryData = source.BinaryData,
        };
        if (existing is not null
            && Same(existing.Labels, desired.Metadata.Labels)
            && await contents.ConfigMapAsync(existing, ct).ConfigureAwait(false) is { } copy
            && Same(copy.Data, desired.Data))
        {
            return;
        }

        V1ConfigMap stored;
        try
        {
            stored = existing is null
                ? await client.CoreV1.CreateNamespacedConfigMapAsync(desired, canary.Namespace, cancellationToken: ct).ConfigureAwait(false)
                : await client.CoreV1.ReplaceNamespacedConfigMapAsync(desired, name, canary.Namespace, cancellationToken: ct).ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (RetryOnConflict.IsConflict(e))
        {
            // The cache was behind: take the server's object and write over it.
            var current = await client.CoreV1.ReadNamespacedConfigMapAsync(name, canary.Namespace, cancellationToken: ct).ConfigureAwait(false);
            desired.Metadata.ResourceVersion = current.Metadata.ResourceVersion;
            stored = await client.CoreV1.ReplaceNamespacedConfigMapAsync(desired, name, canary.Namespace, cancellationToken: ct).ConfigureAwait(false);
        }

        cache.ConfigMaps.Upsert(ClusterCache.Slim(stored.Metadata)!);
        contents.Remember(stored);
    }

    private async Task UpsertSecretAsync(Canary canary, SecretSummary source, CancellationToken ct)
    {
        var name = source.Metadata.Name + "-primary";
        var existing = cache.Secrets.Get(canary.Namespace, name);
        await GuardAsync(canary, "Secret", name, existing, ct).ConfigureAwait(false);
        if (existing is not null && (await contents.SecretAsync(existing, ct).ConfigureAwait(false))?.Checksum == source.Checksum)
        {
            return;
        }

        // Nothing here keeps Secret data: the values are read for the copy, and only then.
        var full = await client.CoreV1.ReadNamespacedSecretAsync(source.Metadata.Name, canary.Namespace, cancellationToken: ct).ConfigureAwait(false);
        var desired = new V1Secret
        {
            Metadata = PrimaryMeta(canary, full.Metadata, name, existing),
            Data = full.Data,
            Type = full.Type,
        };

        V1Secret stored;
        try
        {
            stored = existing is null
                ? await client.CoreV1.CreateNamespacedSecretAsync(desired, canary.Namespace, cancellationToken: ct).ConfigureAwait(false)
                : await client.CoreV1.ReplaceNamespacedSecretAsync(desired, name, canary.Namespace, cancellationToken: ct).ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (RetryOnConflict.IsConflict(e))
        {
            // The cache was behind: take the server's object and write over it.
            var current = await client.CoreV1.ReadNamespacedSecretAsync(name, canary.Namespace, cancellationToken: ct).ConfigureAwait(false);
            desired.Metadata.ResourceVersion = current.Metadata.ResourceVersion;
            stored = await client.CoreV1.ReplaceNamespacedSecretAsync(desired, name, canary.Namespace, cancellationToken: ct).ConfigureAwait(false);
        }

        cache.Secrets.Upsert(ClusterCache.Slim(stored.Metadata)!);
        contents.Remember(stored);
    }

    private Task GuardAsync(Canary canary, string kind, string name, V1ObjectMeta? existing, CancellationToken ct) =>
        conflicts?.CheckAsync(canary, kind, name, existing, store, (time ?? TimeProvider.System).GetUtcNow(), ct) ?? Task.CompletedTask;

    private V1ObjectMeta PrimaryMeta(Canary canary, V1ObjectMeta source, string name, V1ObjectMeta? existing)
    {
        // Foreign owners of the source stay owners of the copy, but only the Canary controls it.
        var owners = (source.OwnerReferences ?? []).Select(o => o with { Controller = false }).ToList();
        owners.Insert(0, CanaryOwnership.ControllerReference(canary));
        return new V1ObjectMeta
        {
            Name = name,
            NamespaceProperty = canary.Namespace,
            Labels = Ownership.Filter(source.Labels, options.Value.IncludeLabelPrefixes),
            Annotations = Ownership.Filter(source.Annotations, options.Value.IncludeLabelPrefixes),
            OwnerReferences = owners,
            ResourceVersion = existing?.ResourceVersion,
        };
    }

    private static bool Same(IDictionary<string, string>? a, IDictionary<string, string>? b) =>
        (a?.Count ?? 0) == (b?.Count ?? 0) && (a ?? new Dictionary<string, string>()).All(kv => b!.TryGetValue(kv.Key, out var v) && v == kv.Value);
}

/// <summary>A tracked ConfigMap or Secret, its status key and checksum.</summary>
internal sealed record TrackedConfig(string Name, string Checksum, V1ConfigMap? ConfigMap, SecretSummary? Secret)
{
    public string Key => ConfigMap is not null ? $"configmap/{Name}" : $"secret/{Name}";
}
