using Flagger.Kubernetes.Caches;
using Flagger.Model;
using Flagger.Targets;
using k8s;
using k8s.Models;

namespace Flagger.Kubernetes.Targets;

/// <summary>
/// The DaemonSet target. A DaemonSet cannot scale, so "zero" is a node selector no node matches
/// (<c>flagger.app/scale-to-zero</c>), left out of the revision hash and of the primary.
/// </summary>
internal sealed class DaemonSetKind : IWorkloadKind<V1DaemonSet>
{
    internal const string ScaleToZeroSelector = "flagger.app/scale-to-zero";

    public static string Kind => "DaemonSet";

    public static Informer<V1DaemonSet> Informer(ClusterCache cache) => cache.DaemonSets;

    public static V1LabelSelector? Selector(V1DaemonSet workload) => workload.Spec.Selector;

    public static V1PodTemplateSpec? Template(V1DaemonSet workload) => workload.Spec.Template;

    // The target's template without the parking selector: what the user wrote.
    public static V1PodTemplateSpec? UserTemplate(V1PodTemplateSpec? template)
    {
        var copy = Ownership.Clone(template ?? new V1PodTemplateSpec());

        // Removing the key by merge patch leaves an empty map behind; both mean "no selector".
        if (copy.Spec?.NodeSelector is { } selector)
        {
            selector.Remove(ScaleToZeroSelector);
            copy.Spec.NodeSelector = selector.Count == 0 ? null : selector;
        }

        return copy;
    }

    public static V1DaemonSet NewPrimary(V1DaemonSet target, V1ObjectMeta metadata, V1LabelSelector selector, V1PodTemplateSpec template) => new()
    {
        ApiVersion = "apps/v1",
        Kind = "DaemonSet",
        Metadata = metadata,
        Spec = new V1DaemonSetSpec
        {
            MinReadySeconds = target.Spec.MinReadySeconds,
            RevisionHistoryLimit = target.Spec.RevisionHistoryLimit,
            UpdateStrategy = target.Spec.UpdateStrategy,
            Selector = selector,
            Template = template,
        },
    };

    public static void Promote(Canary canary, V1DaemonSet target, V1DaemonSet primary, V1PodTemplateSpec template, PrimaryMetadata metadata)
    {
        primary.Spec.Template = template;
        primary.Spec.UpdateStrategy = target.Spec.UpdateStrategy;
        primary.Spec.MinReadySeconds = target.Spec.MinReadySeconds;
        primary.Spec.RevisionHistoryLimit = target.Spec.RevisionHistoryLimit;
        primary.Metadata.Labels = metadata.Labels;
        primary.Metadata.Annotations = metadata.Annotations;
    }

    public static Readiness? PrimaryHalted(V1DaemonSet primary, string id) => null;

    public static (bool Retriable, string Reason)? Check(Canary canary, V1DaemonSet workload, int readyThreshold, DateTimeOffset now)
    {
        var status = workload.Status ?? new V1DaemonSetStatus();
        if ((workload.Metadata.Generation ?? 0) > (status.ObservedGeneration ?? 0))
        {
            return (true, "waiting for rollout to finish: observed daemonset generation less than desired generation");
        }

        var notUpdated = (status.UpdatedNumberScheduled ?? 0) < status.DesiredNumberScheduled;
        var threshold = (int)(status.DesiredNumberScheduled * (readyThreshold / 100f));
        var notAvailable = (status.NumberAvailable ?? 0) < threshold;
        if (!notUpdated && !notAvailable)
        {
            return null;
        }

        // A DaemonSet has no progress condition: the deadline counts from the canary's last transition.
        var deadline = canary.Spec.GetProgressDeadline();
        if (canary.Status?.LastTransitionTime is { } since && since + deadline < now)
        {
            return (false, $"exceeded its progressDeadlineSeconds: {(int)deadline.TotalSeconds}");
        }

        return notUpdated
            ? (true, $"waiting for rollout to finish: {status.UpdatedNumberScheduled ?? 0} out of {status.DesiredNumberScheduled} new pods have been updated")
            : (true, $"waiting for rollout to finish: {status.NumberAvailable ?? 0} of {threshold} (readyThreshold {readyThreshold}%) updated pods are available");
    }

    public static string? ScaleToZero(V1DaemonSet target) => Park(target, true);

    public static string? ScaleFromZero(Canary canary, V1DaemonSet target, ClusterCache cache) => Park(target, false);

    public static string? Restore(Canary canary, V1DaemonSet target, V1DaemonSet? primary, ClusterCache cache) => Park(target, false);

    public static Task<V1DaemonSet> CreateAsync(IKubernetes client, V1DaemonSet body, string @namespace, CancellationToken cancellationToken) =>
        client.AppsV1.CreateNamespacedDaemonSetAsync(body, @namespace, cancellationToken: cancellationToken);

    public static Task<V1DaemonSet> ReadAsync(IKubernetes client, string name, string @namespace, CancellationToken cancellationToken) =>
        client.AppsV1.ReadNamespacedDaemonSetAsync(name, @namespace, cancellationToken: cancellationToken);

    public static Task<V1DaemonSet> ReplaceAsync(IKubernetes client, V1DaemonSet body, string name, string @namespace, CancellationToken cancellationToken) =>
        client.AppsV1.ReplaceNamespacedDaemonSetAsync(body, name, @namespace, cancellationToken: cancellationToken);

    public static Task<V1DaemonSet> PatchAsync(IKubernetes client, V1Patch patch, string name, string @namespace, CancellationToken cancellationToken) =>
        client.AppsV1.PatchNamespacedDaemonSetAsync(patch, name, @namespace, cancellationToken: cancellationToken);

    private static string? Park(V1DaemonSet target, bool park)
    {
        var parked = target.Spec.Template?.Spec?.NodeSelector?.ContainsKey(ScaleToZeroSelector) == true;
        if (parked == park)
        {
            return null;
        }

        var value = park ? "\"true\"" : "null";
        return $"{{\"spec\":{{\"template\":{{\"spec\":{{\"nodeSelector\":{{\"{ScaleToZeroSelector}\":{value}}}}}}}}}}}";
    }
}
