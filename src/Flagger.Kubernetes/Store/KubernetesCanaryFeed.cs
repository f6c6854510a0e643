using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Flagger.Kubernetes.Caches;
using Flagger.Kubernetes.Configs;
using Flagger.Model;
using Flagger.Store;
using k8s;
using k8s.Models;

namespace Flagger.Kubernetes.Store;

/// <summary>
/// The scheduler's feed from the caches: every Canary, then its changes. A new spec generation of a canary's
/// target, or a change to a ConfigMap/Secret its target references, asks for a tick now (a new revision is noticed
/// at once). Status-only updates of the target (rollout progress) or of the Canary itself (the ticks' own writes) do not,
/// so analysis keeps its interval.
/// </summary>
internal sealed class KubernetesCanaryFeed(ClusterCache cache) : ICanaryFeed
{
    private ConcurrentDictionary<(string Kind, string Namespace, string Name), long>? watched;

    /// <summary>How many workloads the running feed remembers a generation of: the ones that exist, no more.</summary>
    internal int WorkloadGenerations => Volatile.Read(ref watched)?.Count ?? 0;

    public async IAsyncEnumerable<CanaryChange> WatchAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var changes = Channel.CreateUnbounded<CanaryChange>(new UnboundedChannelOptions { SingleReader = true });
        var generations = new ConcurrentDictionary<(string Kind, string Namespace, string Name), long>();
        Volatile.Write(ref watched, generations);
        var canaries = new ConcurrentDictionary<(string Namespace, string Name), (string? Uid, long Generation, bool Deleting)>();
        var listed = false;
        void OnCanary(WatchEventType type, Canary canary)
        {
            var key = (canary.Namespace, canary.Name);
            if (type == WatchEventType.Deleted)
            {
                canaries.TryRemove(key, out _);
                changes.Writer.TryWrite(new CanaryChange(CanaryChangeType.Deleted, canary.Namespace, canary.Name));
                return;
            }

            // Only a new spec (or the start of a deletion) is a change: the ticks' own status writes come back
            // through this watch too, and treating them as changes would tick every canary twice per interval. A new
            // uid is a new Canary of the same name (deleted and created again while a relist caught up), whatever
            // its generation.
            var seen = (canary.Metadata.Uid, canary.Metadata.Generation ?? 0, canary.Metadata.DeletionTimestamp is not null);
            if (canaries.TryGetValue(key, out var known) && known == seen)
            {
                return;
            }

            canaries[key] = seen;
            if (Volatile.Read(ref listed))
            {
                changes.Writer.TryWrite(new CanaryChange(CanaryChangeType.Upserted, canary.Namespace, canary.Name, canary));
            }
        }

        void OnWorkload(WatchEventType type, string kind, V1ObjectMeta? meta)
        {
            var key = (kind, meta?.NamespaceProperty ?? string.Empty, meta?.Name ?? string.Empty);
            if (type == WatchEventType.Deleted)
            {
                // Forgotten with the workload: a cluster that churns Deployments must not grow this map forever.
                generations.TryRemove(key, out _);
                return;
            }

            var generation = meta?.Generation ?? 0;
            if (generations.TryGetValue(key, out var seen) && seen == generation)
            {
                return;
            }

            generations[key] = generation;
            if (!Volatile.Read(ref listed))
            {
                // The first list is not a change: the Upserted canaries already tick.
                return;
            }

            Trigger(c => c.Namespace == key.Item2 && c.GetTargetKind() == kind && c.GetTargetName() == key.Item3);
        }

        void OnConfig(string kind, V1ObjectMeta? meta)
        {
            if (Volatile.Read(ref listed))
            {
                Trigger(c => c.Namespace == meta?.NamespaceProperty && References(c).Any(r => r.Kind == kind && r.Name == meta?.Name));
            }
        }

        void Trigger(Func<Canary, bool> affected)
        {
            foreach (var canary in cache.Canaries.List().Where(affected))
            {
                changes.Writer.TryWrite(new CanaryChange(CanaryChangeType.TargetChanged, canary.Namespace, canary.Name));
            }
        }

        void OnDeployment(WatchEventType t, V1Deployment d) => OnWorkload(t, "Deployment", d.Metadata);
        void OnDaemonSet(WatchEventType t, V1DaemonSet d) => OnWorkload(t, "DaemonSet", d.Metadata);
        void OnConfigMap(WatchEventType t, V1ObjectMeta c) => OnConfig("configmap", c);
        void OnSecret(WatchEventType t, V1ObjectMeta s) => OnConfig("secret", s);

        cache.Canaries.Changed += OnCanary;
        cache.Deployments.Changed += OnDeployment;
        cache.DaemonSets.Changed += OnDaemonSet;
        cache.ConfigMaps.Changed += OnConfigMap;
        cache.Secrets.Changed += OnSecret;
        try
        {
            await cache.SyncAsync(cancellationToken).ConfigureAwait(false);
            foreach (var d in cache.Deployments.List())
            {
                generations.TryAdd(("Deployment", d.Metadata.NamespaceProperty, d.Metadata.Name), d.Metadata.Generation ?? 0);
            }

            foreach (var d in cache.DaemonSets.List())
            {
                generations.TryAdd(("DaemonSet", d.Metadata.NamespaceProperty, d.Metadata.Name), d.Metadata.Generation ?? 0);
            }

            // The first list is every canary once; watch events up to here are part of it, not changes.
            Volatile.Write(ref listed, true);
            foreach (var canary in cache.Canaries.List())
            {
                canaries[(canary.Namespace, canary.Name)] = (canary.Metadata.Uid, canary.Metadata.Generation ?? 0, canary.Metadata.DeletionTimestamp is not null);
                yield return new CanaryChange(CanaryChangeType.Upserted, canary.Namespace, canary.Name, canary);
            }

            yield return new CanaryChange(CanaryChangeType.Listed, string.Empty, string.Empty);
            await foreach (var change in changes.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                yield return change;
            }
        }
        finally
        {
            cache.Canaries.Changed -= OnCanary;
            cache.Deployments.Changed -= OnDeployment;
            cache.DaemonSets.Changed -= OnDaemonSet;
            cache.ConfigMaps.Changed -= OnConfigMap;
            cache.Secrets.Changed -= OnSecret;
        }
    }

    private IEnumerable<(string Kind, string Name, bool Optional)> References(Canary canary)
    {
        var spec = canary.GetTargetKind() == "DaemonSet"
            ? cache.DaemonSets.Get(canary.Namespace, canary.GetTargetName())?.Spec?.Template?.Spec
            : cache.Deployments.Get(canary.Namespace, canary.GetTargetName())?.Spec?.Template?.Spec;
        return spec is null ? [] : ConfigTracker.References(spec);
    }
}
