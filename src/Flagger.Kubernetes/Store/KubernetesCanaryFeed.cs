using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Flagger.Kubernetes.Caches;
using Flagger.Model;
using Flagger.Store;
using k8s;
using k8s.Models;

namespace Flagger.Kubernetes.Store;

/// <summary>
/// The scheduler's feed from the caches: every Canary, then its changes; a change to a canary's target
/// Deployment/DaemonSet or to any ConfigMap/Secret in its namespace asks for a tick now (a new revision is
/// noticed at once, not at the next interval).
/// </summary>
internal sealed class KubernetesCanaryFeed(ClusterCache cache) : ICanaryFeed
{
    public async IAsyncEnumerable<CanaryChange> WatchAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var changes = Channel.CreateUnbounded<CanaryChange>(new UnboundedChannelOptions { SingleReader = true });
        void OnCanary(WatchEventType type, Canary canary) => changes.Writer.TryWrite(type == WatchEventType.Deleted
            ? new CanaryChange(CanaryChangeType.Deleted, canary.Namespace, canary.Name)
            : new CanaryChange(CanaryChangeType.Upserted, canary.Namespace, canary.Name, canary));
        void OnWorkload(string kind, V1ObjectMeta? meta)
        {
            foreach (var canary in cache.Canaries.List().Where(c => c.Namespace == meta?.NamespaceProperty && c.GetTargetKind() == kind && c.GetTargetName() == meta?.Name))
            {
                changes.Writer.TryWrite(new CanaryChange(CanaryChangeType.TargetChanged, canary.Namespace, canary.Name));
            }
        }

        void OnConfig(V1ObjectMeta? meta)
        {
            foreach (var canary in cache.Canaries.List().Where(c => c.Namespace == meta?.NamespaceProperty))
            {
                changes.Writer.TryWrite(new CanaryChange(CanaryChangeType.TargetChanged, canary.Namespace, canary.Name));
            }
        }

        void OnDeployment(WatchEventType t, V1Deployment d) => OnWorkload("Deployment", d.Metadata);
        void OnDaemonSet(WatchEventType t, V1DaemonSet d) => OnWorkload("DaemonSet", d.Metadata);
        void OnConfigMap(WatchEventType t, V1ConfigMap c) => OnConfig(c.Metadata);
        void OnSecret(WatchEventType t, V1Secret s) => OnConfig(s.Metadata);

        cache.Canaries.Changed += OnCanary;
        cache.Deployments.Changed += OnDeployment;
        cache.DaemonSets.Changed += OnDaemonSet;
        cache.ConfigMaps.Changed += OnConfigMap;
        cache.Secrets.Changed += OnSecret;
        try
        {
            await cache.SyncAsync(cancellationToken).ConfigureAwait(false);
            foreach (var canary in cache.Canaries.List())
            {
                yield return new CanaryChange(CanaryChangeType.Upserted, canary.Namespace, canary.Name, canary);
            }

            while (await changes.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                while (changes.Reader.TryRead(out var change))
                {
                    yield return change;
                }
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
}
