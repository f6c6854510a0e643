using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Flagger.Kubernetes.Caches;
using Flagger.Model;
using Flagger.Store;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Options;

namespace Flagger.Kubernetes.Store;

/// <summary>
/// Reads Canary, MetricTemplate, AlertProvider and Secret data from the watch-fed caches and writes Canary status
/// through the status subresource: a PUT guarded by resourceVersion, re-read and retried on conflict.
/// </summary>
internal sealed class KubernetesCanaryStore(IKubernetes client, ClusterCache cache, OwnershipConflicts? conflicts = null, IOptions<KubernetesOptions>? options = null) : ICanaryStore, ISecretReader, ICanaryFinalizerStore
{
    private int ConflictRetries => (options?.Value ?? Defaults).ConflictRetries;

    private static readonly KubernetesOptions Defaults = new();

    public async Task<Canary?> GetCanaryAsync(string @namespace, string name, CancellationToken cancellationToken)
    {
        await cache.SyncAsync(cancellationToken).ConfigureAwait(false);
        return cache.Canaries.Get(@namespace, name);
    }

    public async Task<Canary> UpdateStatusAsync(Canary canary, CanaryStatus status, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(canary);
        ArgumentNullException.ThrowIfNull(status);

        // Objects another controller owns are reported by the Ownership condition for as long as they are refused,
        // whichever status this write carries.
        status = conflicts?.Apply(canary.Namespace, canary.Name, status) ?? status;
        await cache.SyncAsync(cancellationToken).ConfigureAwait(false);
        var current = cache.Canaries.Get(canary.Namespace, canary.Name) ?? canary;
        return await RetryOnConflict.RunAsync(
            ConflictRetries,
            async (attempt, ct) =>
            {
                if (attempt > 0)
                {
                    // Someone else changed the Canary (a spec edit, another writer): take theirs, put our status on it.
                    current = await ReadLiveAsync(canary, ct).ConfigureAwait(false);
                }

                // An unreadable canary (ReadError) has an empty spec here; the status subresource ignores the spec.
                var body = JsonNode.Parse(FlaggerJson.Serialize(current with { Status = status }))!.AsObject();
                var stored = await client.CustomObjects.ReplaceNamespacedCustomObjectStatusAsync(
                    body, ClusterCache.FlaggerGroup, ClusterCache.FlaggerVersion, canary.Namespace, "canaries", canary.Name, cancellationToken: ct).ConfigureAwait(false);
                return cache.Canaries.Upsert(FlaggerJson.ReadCanary(((JsonElement)stored).GetRawText()));
            },
            cancellationToken).ConfigureAwait(false);
    }

    public Task<Canary> AddFinalizerAsync(Canary canary, string finalizer, CancellationToken cancellationToken) =>
        SetFinalizerAsync(canary, finalizer, present: true, cancellationToken);

    public Task RemoveFinalizerAsync(Canary canary, string finalizer, CancellationToken cancellationToken) =>
        SetFinalizerAsync(canary, finalizer, present: false, cancellationToken);

    // A merge patch replaces the whole finalizers list, so it carries the resourceVersion it was computed from: a
    // finalizer someone else added meanwhile is a 409 and a fresh read, never lost.
    private async Task<Canary> SetFinalizerAsync(Canary canary, string finalizer, bool present, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(canary);
        var current = canary;
        return await RetryOnConflict.RunAsync(
            ConflictRetries,
            async (attempt, ct) =>
            {
                if (attempt > 0)
                {
                    current = await ReadLiveAsync(canary, ct).ConfigureAwait(false);
                }

                var list = (current.Metadata.Finalizers ?? []).Where(f => f != finalizer).ToList();
                if (present)
                {
                    list.Add(finalizer);
                }

                if (list.SequenceEqual(current.Metadata.Finalizers ?? []))
                {
                    return current;
                }

                var patch = new JsonObject
                {
                    ["metadata"] = new JsonObject
                    {
                        ["resourceVersion"] = current.Metadata.ResourceVersion,
                        ["finalizers"] = list.Count == 0 ? null : new JsonArray([.. list.Select(f => (JsonNode)f)]),
                    },
                };
                var stored = await client.CustomObjects.PatchNamespacedCustomObjectAsync(
                    new V1Patch(patch.ToJsonString(), V1Patch.PatchType.MergePatch), ClusterCache.FlaggerGroup, ClusterCache.FlaggerVersion,
                    canary.Namespace, "canaries", canary.Name, cancellationToken: ct).ConfigureAwait(false);
                var read = FlaggerJson.ReadCanary(((JsonElement)stored).GetRawText());

                // The last finalizer of a Canary being deleted takes the Canary with it: the watch says so, and the
                // cache must not be handed the object back after it.
                return read.Metadata.DeletionTimestamp is not null && list.Count == 0 ? read : cache.Canaries.Upsert(read);
            },
            cancellationToken).ConfigureAwait(false);
    }

    private async Task<Canary> ReadLiveAsync(Canary canary, CancellationToken ct)
    {
        var fresh = await client.CustomObjects.GetNamespacedCustomObjectAsync(
            ClusterCache.FlaggerGroup, ClusterCache.FlaggerVersion, canary.Namespace, "canaries", canary.Name, ct).ConfigureAwait(false);
        return cache.Canaries.Upsert(FlaggerJson.ReadCanary(((JsonElement)fresh).GetRawText()));
    }

    public async Task<MetricTemplate?> GetMetricTemplateAsync(string @namespace, string name, CancellationToken cancellationToken)
    {
        await cache.SyncAsync(cancellationToken).ConfigureAwait(false);
        return cache.MetricTemplates.Get(@namespace, name);
    }

    public async Task<AlertProvider?> GetAlertProviderAsync(string @namespace, string name, CancellationToken cancellationToken)
    {
        await cache.SyncAsync(cancellationToken).ConfigureAwait(false);
        return cache.AlertProviders.Get(@namespace, name);
    }

    public async Task<IReadOnlyDictionary<string, string>?> GetSecretDataAsync(string @namespace, string name, CancellationToken cancellationToken)
    {
        // Read from the API server each time: the cache keeps only Secrets' metadata, and these are credentials
        // for one query or one alert, not something to hold on to.
        V1Secret secret;
        try
        {
            secret = await client.CoreV1.ReadNamespacedSecretAsync(name, @namespace, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        return (secret.Data ?? new Dictionary<string, byte[]>()).ToDictionary(kv => kv.Key, kv => Encoding.UTF8.GetString(kv.Value), StringComparer.Ordinal);
    }
}
