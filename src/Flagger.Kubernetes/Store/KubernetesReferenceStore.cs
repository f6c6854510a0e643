using System.Net;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Threading.Channels;
using Flagger.Kubernetes.Caches;
using Flagger.Kubernetes.Events;
using Flagger.Model;
using Flagger.Store;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Flagger.Kubernetes.Store;

/// <summary>
/// MetricTemplates and AlertProviders from the watch-fed caches (each once when listed, then on every add or change),
/// and the operator's reports on them: a JSON merge patch of <c>status.conditions</c> through the status subresource
/// (no resourceVersion, so no conflict with a concurrent spec edit) and a Warning event on the object.
/// </summary>
internal sealed class KubernetesReferenceStore(IKubernetes client, ClusterCache cache, KubernetesEventRecorder recorder) : IReferencedResourceStore
{
    public async IAsyncEnumerable<ReferencedResource> WatchAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var changes = Channel.CreateUnbounded<ReferencedResource>(new UnboundedChannelOptions { SingleReader = true });
        var listed = false;
        void OnTemplate(WatchEventType type, MetricTemplate template) => Changed(type, ReferencedResource.From(template));
        void OnProvider(WatchEventType type, AlertProvider provider) => Changed(type, ReferencedResource.From(provider));
        void Changed(WatchEventType type, ReferencedResource resource)
        {
            // Until the first list is done, it is the list that reports every object.
            if (type is WatchEventType.Added or WatchEventType.Modified && Volatile.Read(ref listed))
            {
                changes.Writer.TryWrite(resource);
            }
        }

        cache.MetricTemplates.Changed += OnTemplate;
        cache.AlertProviders.Changed += OnProvider;
        try
        {
            await cache.SyncAsync(cancellationToken).ConfigureAwait(false);
            Volatile.Write(ref listed, true);
            foreach (var template in cache.MetricTemplates.List())
            {
                yield return ReferencedResource.From(template);
            }

            foreach (var provider in cache.AlertProviders.List())
            {
                yield return ReferencedResource.From(provider);
            }

            await foreach (var change in changes.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                yield return change;
            }
        }
        finally
        {
            cache.MetricTemplates.Changed -= OnTemplate;
            cache.AlertProviders.Changed -= OnProvider;
        }
    }

    public async Task ReportAsync(ReferencedResource resource, ResourceReport report, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(resource);
        ArgumentNullException.ThrowIfNull(report);
        var plural = resource.Kind switch
        {
            "MetricTemplate" => "metrictemplates",
            "AlertProvider" => "alertproviders",
            _ => throw new ArgumentException($"not a MetricTemplate or AlertProvider: {resource.Kind}", nameof(resource)),
        };
        var patch = new V1Patch($"{{\"status\":{FlaggerJson.Serialize(report.Status)}}}", V1Patch.PatchType.MergePatch);
        object stored;
        try
        {
            stored = await client.CustomObjects.PatchNamespacedCustomObjectStatusAsync(
                patch, ClusterCache.FlaggerGroup, ClusterCache.FlaggerVersion, resource.Namespace, plural, resource.Name, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            // Deleted since it was seen: nothing left to report on.
            return;
        }

        // Cached at once, so the watch event of this write is not taken for a change.
        var raw = ((JsonElement)stored).GetRawText();
        if (resource.Kind == "MetricTemplate")
        {
            cache.MetricTemplates.Upsert(FlaggerJson.ReadMetricTemplate(raw));
        }
        else
        {
            cache.AlertProviders.Upsert(FlaggerJson.ReadAlertProvider(raw));
        }

        if (report.Warning is { } warning)
        {
            var involved = new V1ObjectReference
            {
                ApiVersion = Canary.CurrentApiVersion,
                Kind = resource.Kind,
                Name = resource.Name,
                NamespaceProperty = resource.Namespace,
                Uid = resource.Metadata.Uid,
            };
            await recorder.RecordAsync(involved, "Warning", warning, cancellationToken).ConfigureAwait(false);
        }
    }
}
