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
/// their <c>-primary</c> copies, and the primary pod spec rewritten to use the copies.
/// </summary>
internal sealed class ConfigTracker(IKubernetes client, ClusterCache cache, IOptions<KubernetesOptions> options, OwnershipConflicts? conflicts = null, ICanaryStore? store = null, TimeProvider? time = null)
{
    internal const string OptOutAnnotation = "flagger.app/config-tracking";

    // Docker registry credentials and service account tokens are not application configuration.
    private static readonly HashSet<string> TrackedSecretTypes = new(StringComparer.Ordinal)
    {
        "Opaque", "kubernetes.io/basic-auth", "kubernetes.io/ssh-auth", "kubernetes.io/tls",
    };

    /// <summary>Checksums by <c>configmap/name</c> / <c>secret/name</c> of the tracked configs the pod spec references.</summary>
    public IReadOnlyDictionary<string, string> GetTrackedConfigs(string @namespace, V1PodSpec? spec)
    {
        var tracked = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var config in Resolve(@namespace, spec))
        {
            tracked[config.Key] = config.Checksum;
        }

        return tracked;
    }

    /// <summary>Creates or updates the <c>-primary</c> copies and returns the tracked references to rewrite.</summary>
    public async Task<IReadOnlyCollection<TrackedConfig>> CopyToPrimaryAsync(Canary canary, V1PodSpec? spec, CancellationToken cancellationToken)
    {
        var configs = Resolve(canary.Namespace, spec);
        foreach (var config in configs)
        {
            if (config.ConfigMap is { } map)
            {
                await UpsertConfigMapAsync(canary, map, cancellationToken).ConfigureAwait(false);
            }
            else if (config.Secret is { } secret)
            {
                await UpsertSecretAsync(canary, secret, config.Checksum, cancellationToken).ConfigureAwait(false);
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

    private List<TrackedConfig> Resolve(string @namespace, V1PodSpec? spec)
    {
        var result = new List<TrackedConfig>();
        if (!options.Value.EnableConfigTracking || spec is null)
        {
            return result;
        }

        foreach (var (kind, name, optional) in References(spec).Distinct())
        {
            if (kind == "configmap")
            {
                var map = cache.ConfigMaps.Get(@namespace, name);
                if (map is null)
                {
                    ThrowUnlessOptional(optional, kind, @namespace, name);
                    continue;
                }

                if (!OptedOut(map.Metadata))
                {
                    result.Add(new TrackedConfig(name, SpecHash.ComputeConfigChecksum(map.Data?.ToDictionary(kv => kv.Key, kv => kv.Value)), map, null));
                }
            }
            else
            {
                var secret = cache.Secrets.Get(@namespace, name);
                if (secret is null)
                {
                    ThrowUnlessOptional(optional, kind, @namespace, name);
                    continue;
                }

                if (!OptedOut(secret.Metadata) && TrackedSecretTypes.Contains(string.IsNullOrEmpty(secret.Type) ? "Opaque" : secret.Type))
                {
                    result.Add(new TrackedConfig(name, SecretDigest.ChecksumOf(secret), null, secret));
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
        await GuardAsync(canary, "ConfigMap", name, existing?.Metadata, ct).ConfigureAwait(false);
        var desired = new V1ConfigMap
        {
            Metadata = PrimaryMeta(canary, source.Metadata, name, existing?.Metadata),
            Data = source.Data,
            BinaryData = source.BinaryData,
        };
        if (existing is not null && Same(existing.Data, desired.Data) && Same(existing.Metadata.Labels, desired.Metadata.Labels))
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

        cache.ConfigMaps.Upsert(stored);
    }

    private async Task UpsertSecretAsync(Canary canary, V1Secret source, string checksum, CancellationToken ct)
    {
        var name = source.Metadata.Name + "-primary";
        var existing = cache.Secrets.Get(canary.Namespace, name);
        await GuardAsync(canary, "Secret", name, existing?.Metadata, ct).ConfigureAwait(false);
        if (existing is not null && SecretDigest.ChecksumOf(existing) == checksum)
        {
            return;
        }

        // The cache keeps no Secret data (SecretDigest): the values are read for the copy, and only then.
        var full = await client.CoreV1.ReadNamespacedSecretAsync(source.Metadata.Name, canary.Namespace, cancellationToken: ct).ConfigureAwait(false);
        var desired = new V1Secret
        {
            Metadata = PrimaryMeta(canary, source.Metadata, name, existing?.Metadata),
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

        cache.Secrets.Upsert(SecretDigest.Strip(stored));
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
internal sealed record TrackedConfig(string Name, string Checksum, V1ConfigMap? ConfigMap, V1Secret? Secret)
{
    public string Key => ConfigMap is not null ? $"configmap/{Name}" : $"secret/{Name}";
}
