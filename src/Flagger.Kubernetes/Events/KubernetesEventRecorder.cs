using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Flagger.Events;
using Flagger.Model;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Flagger.Kubernetes.Events;

/// <summary>
/// Records canary events as core/v1 Events on the Canary (source <c>flagger</c>, reason <c>Synced</c>), and the
/// operator's reports on MetricTemplates and AlertProviders as Events on those. A repeat of
/// the same message bumps the count and last timestamp of the existing Event, as client-go's recorder does,
/// instead of creating a new object. The counts it remembers are bounded (<see cref="EventSeries"/>).
/// </summary>
internal sealed class KubernetesEventRecorder(IKubernetes client, TimeProvider time) : IEventRecorder
{
    internal const string Component = "flagger";
    internal const string Reason = "Synced";

    private readonly EventSeries counts = new(time);

    /// <summary>How many event series the recorder remembers now; at most <see cref="EventSeries.Capacity"/>.</summary>
    internal int RememberedSeries => counts.Count;
    private readonly string instance = Environment.MachineName;

    public Task RecordAsync(Canary canary, CanaryEvent canaryEvent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(canary);
        ArgumentNullException.ThrowIfNull(canaryEvent);
        var involved = new V1ObjectReference
        {
            ApiVersion = canary.ApiVersion ?? Canary.CurrentApiVersion,
            Kind = "Canary",
            Name = canary.Name,
            NamespaceProperty = canary.Namespace,
            Uid = canary.Metadata.Uid,
        };
        return RecordAsync(involved, canaryEvent.KubernetesType, canaryEvent.Message, cancellationToken);
    }

    /// <summary>Records an event on any object (a MetricTemplate or AlertProvider the operator reports on).</summary>
    internal async Task RecordAsync(V1ObjectReference involved, string type, string message, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var name = EventName(involved, type, message);
        var @namespace = involved.NamespaceProperty;
        if (counts.TryGet(name, out var count))
        {
            await BumpAsync(@namespace, name, count + 1, now, cancellationToken).ConfigureAwait(false);
            return;
        }

        var body = new Corev1Event
        {
            Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = @namespace },
            InvolvedObject = involved,
            Reason = Reason,
            Message = message,
            Type = type,
            Source = new V1EventSource { Component = Component },
            ReportingComponent = Component,
            ReportingInstance = instance,
            FirstTimestamp = now,
            LastTimestamp = now,
            Count = 1,
        };
        try
        {
            await client.CoreV1.CreateNamespacedEventAsync(body, @namespace, cancellationToken: cancellationToken).ConfigureAwait(false);
            counts.Set(name, 1);
        }
        catch (HttpOperationException e) when (RetryOnConflict.IsConflict(e))
        {
            // Recorded by an earlier run of this process, or by this one before the series was forgotten: continue it.
            var existing = await client.CoreV1.ReadNamespacedEventAsync(name, @namespace, cancellationToken: cancellationToken).ConfigureAwait(false);
            await BumpAsync(@namespace, name, (existing.Count ?? 1) + 1, now, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task BumpAsync(string @namespace, string name, int count, DateTime now, CancellationToken ct)
    {
        var patch = new V1Patch(
            string.Create(CultureInfo.InvariantCulture, $"{{\"count\":{count},\"lastTimestamp\":\"{now:yyyy-MM-ddTHH:mm:ssZ}\"}}"),
            V1Patch.PatchType.MergePatch);
        try
        {
            await client.CoreV1.PatchNamespacedEventAsync(patch, name, @namespace, cancellationToken: ct).ConfigureAwait(false);
            counts.Set(name, count);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            // Events expire (an hour by default); the next repeat starts a new series.
            counts.Remove(name);
        }
    }

    // One name per (object, type, message), like client-go's aggregation key, so repeats find their series. A Canary's
    // key leaves out the kind, as it always has, so series recorded before other kinds were reported continue.
    private static string EventName(V1ObjectReference involved, string type, string message)
    {
        var kind = involved.Kind == "Canary" ? string.Empty : $"{involved.Kind}/";
        var key = $"{kind}{involved.NamespaceProperty}/{involved.Name}/{involved.Uid}/{type}/{Reason}/{message}";
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)).AsSpan(0, 8));
        return $"{involved.Name}.{hash}";
    }
}
