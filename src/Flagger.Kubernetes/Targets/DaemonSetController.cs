using System.Net;
using Flagger.Kubernetes.Caches;
using Flagger.Kubernetes.Configs;
using Flagger.Model;
using Flagger.Store;
using Flagger.Targets;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Options;

namespace Flagger.Kubernetes.Targets;

/// <summary>
/// The DaemonSet target: the Deployment contract, but a DaemonSet cannot scale, so "zero" is a node selector no
/// node matches (<c>flagger.app/scale-to-zero</c>), left out of the revision hash and of the primary.
/// </summary>
internal sealed class DaemonSetController(IKubernetes client, ClusterCache cache, ConfigTracker configs, IOptions<KubernetesOptions> options, TimeProvider time, OwnershipConflicts? conflicts = null, ICanaryStore? store = null) : ITargetController
{
    internal const string ScaleToZeroSelector = "flagger.app/scale-to-zero";

    public async Task<Readiness> InitializeAsync(Canary canary, bool requirePrimaryReady, CancellationToken cancellationToken)
    {
        var target = await GetTargetAsync(canary, cancellationToken).ConfigureAwait(false);
        var existing = cache.DaemonSets.Get(canary.Namespace, PrimaryName(canary));
        await GuardAsync(canary, existing?.Metadata, cancellationToken).ConfigureAwait(false);
        if (existing is null)
        {
            var (label, value) = Selector(canary, target);
            var tracked = await configs.CopyToPrimaryAsync(canary, target.Spec.Template?.Spec, cancellationToken).ConfigureAwait(false);
            var primary = new V1DaemonSet
            {
                ApiVersion = "apps/v1",
                Kind = "DaemonSet",
                Metadata = new V1ObjectMeta
                {
                    Name = PrimaryName(canary),
                    NamespaceProperty = canary.Namespace,
                    Labels = Ownership.PrimaryLabels(Ownership.Filter(target.Metadata.Labels, options.Value.IncludeLabelPrefixes), label, value),
                    Annotations = Ownership.Filter(target.Metadata.Annotations, options.Value.IncludeLabelPrefixes),
                    OwnerReferences = [Ownership.CanaryOwner(canary)],
                },
                Spec = new V1DaemonSetSpec
                {
                    MinReadySeconds = target.Spec.MinReadySeconds,
                    RevisionHistoryLimit = target.Spec.RevisionHistoryLimit,
                    UpdateStrategy = target.Spec.UpdateStrategy,
                    Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { [label] = value + "-primary" } },
                    Template = PrimaryTemplate.Build(Unparked(target.Spec.Template), label, value, tracked, null),
                },
            };
            try
            {
                cache.DaemonSets.Upsert(await client.AppsV1.CreateNamespacedDaemonSetAsync(primary, canary.Namespace, cancellationToken: cancellationToken).ConfigureAwait(false));
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
            {
                // Created meanwhile; the watch brings it.
            }
        }

        return requirePrimaryReady ? await IsPrimaryReadyAsync(canary, cancellationToken).ConfigureAwait(false) : Readiness.Ready;
    }

    public async Task<Readiness> IsPrimaryReadyAsync(Canary canary, CancellationToken cancellationToken)
    {
        await cache.SyncAsync(cancellationToken).ConfigureAwait(false);
        var id = $"{PrimaryName(canary)}.{canary.Namespace}";
        return cache.DaemonSets.Get(canary.Namespace, PrimaryName(canary)) is { } primary
            ? ToReadiness(Check(canary, primary, canary.Spec.GetAnalysis().GetPrimaryReadyThreshold()), id)
            : Readiness.Wait($"daemonset {id} get query error: not found");
    }

    public async Task<Readiness> IsCanaryReadyAsync(Canary canary, CancellationToken cancellationToken)
    {
        var target = await GetTargetAsync(canary, cancellationToken).ConfigureAwait(false);
        return ToReadiness(Check(canary, target, canary.Spec.GetAnalysis().GetCanaryReadyThreshold()), $"canary daemonset {canary.GetTargetName()}.{canary.Namespace}");
    }

    public async Task<TargetRevision> GetRevisionAsync(Canary canary, CancellationToken cancellationToken)
    {
        var target = await GetTargetAsync(canary, cancellationToken).ConfigureAwait(false);
        var hash = target.Spec.Template is { } template ? TemplateHashes.GetValue(template, HashTemplate) : HashTemplate(null);
        return new TargetRevision(hash, configs.GetTrackedConfigs(canary.Namespace, target.Spec.Template?.Spec)); // the parking selector names no config
    }

    public async Task PromoteAsync(Canary canary, CancellationToken cancellationToken)
    {
        var target = await GetTargetAsync(canary, cancellationToken).ConfigureAwait(false);
        var (label, value) = Selector(canary, target);
        var tracked = await configs.CopyToPrimaryAsync(canary, target.Spec.Template?.Spec, cancellationToken).ConfigureAwait(false);
        var current = cache.DaemonSets.Get(canary.Namespace, PrimaryName(canary))
            ?? throw new InvalidOperationException($"daemonset {PrimaryName(canary)}.{canary.Namespace} get query error: not found");
        await GuardAsync(canary, current.Metadata, cancellationToken).ConfigureAwait(false);
        for (var attempt = 1; ; attempt++)
        {
            var desired = Ownership.Clone(current);
            desired.Spec.Template = PrimaryTemplate.Build(Unparked(target.Spec.Template), label, value, tracked, current.Spec.Template);
            desired.Spec.UpdateStrategy = target.Spec.UpdateStrategy;
            desired.Spec.MinReadySeconds = target.Spec.MinReadySeconds;
            desired.Spec.RevisionHistoryLimit = target.Spec.RevisionHistoryLimit;
            if (KubernetesJson.Serialize(desired) == KubernetesJson.Serialize(current))
            {
                return;
            }

            try
            {
                cache.DaemonSets.Upsert(await client.AppsV1.ReplaceNamespacedDaemonSetAsync(desired, PrimaryName(canary), canary.Namespace, cancellationToken: cancellationToken).ConfigureAwait(false));
                return;
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict && attempt < 5)
            {
                current = await client.AppsV1.ReadNamespacedDaemonSetAsync(PrimaryName(canary), canary.Namespace, cancellationToken: cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public Task ScaleToZeroAsync(Canary canary, CancellationToken cancellationToken) => ParkAsync(canary, true, cancellationToken);

    public Task ScaleFromZeroAsync(Canary canary, CancellationToken cancellationToken) => ParkAsync(canary, false, cancellationToken);

    public Task FinalizeAsync(Canary canary, CancellationToken cancellationToken) => ParkAsync(canary, false, cancellationToken);

    // A -primary that another controller owns is never taken over (OwnershipConflicts).
    private Task GuardAsync(Canary canary, V1ObjectMeta? existing, CancellationToken ct) =>
        conflicts?.CheckAsync(canary, "DaemonSet", PrimaryName(canary), existing, store, time.GetUtcNow(), ct) ?? Task.CompletedTask;

    private static string PrimaryName(Canary canary) => canary.GetTargetName() + "-primary";

    // The watch cache replaces its objects and never changes them: a template's hash is computed once per instance,
    // not by copying and serialising the template on every tick.
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<V1PodTemplateSpec, string> TemplateHashes = [];

    private static string HashTemplate(V1PodTemplateSpec? template) => SpecHash.Compute(KubernetesJson.Serialize(Unparked(template)));

    // The target's template without the parking selector: what the user wrote.
    private static V1PodTemplateSpec Unparked(V1PodTemplateSpec? template)
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

    private (bool Retriable, string Reason)? Check(Canary canary, V1DaemonSet daemonSet, int readyThreshold)
    {
        var status = daemonSet.Status ?? new V1DaemonSetStatus();
        if ((daemonSet.Metadata.Generation ?? 0) > (status.ObservedGeneration ?? 0))
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
        if (canary.Status?.LastTransitionTime is { } since && since + deadline < time.GetUtcNow())
        {
            return (false, $"exceeded its progressDeadlineSeconds: {(int)deadline.TotalSeconds}");
        }

        return notUpdated
            ? (true, $"waiting for rollout to finish: {status.UpdatedNumberScheduled ?? 0} out of {status.DesiredNumberScheduled} new pods have been updated")
            : (true, $"waiting for rollout to finish: {status.NumberAvailable ?? 0} of {threshold} (readyThreshold {readyThreshold}%) updated pods are available");
    }

    private static Readiness ToReadiness((bool Retriable, string Reason)? check, string prefix) => DeploymentReadiness.ToReadiness(check, prefix);

    private async Task ParkAsync(Canary canary, bool park, CancellationToken cancellationToken)
    {
        var target = await GetTargetAsync(canary, cancellationToken).ConfigureAwait(false);
        var parked = target.Spec.Template?.Spec?.NodeSelector?.ContainsKey(ScaleToZeroSelector) == true;
        if (parked == park)
        {
            return;
        }

        var value = park ? "\"true\"" : "null";
        var patch = new V1Patch($"{{\"spec\":{{\"template\":{{\"spec\":{{\"nodeSelector\":{{\"{ScaleToZeroSelector}\":{value}}}}}}}}}}}", V1Patch.PatchType.MergePatch);
        cache.DaemonSets.Upsert(await client.AppsV1.PatchNamespacedDaemonSetAsync(patch, canary.GetTargetName(), canary.Namespace, cancellationToken: cancellationToken).ConfigureAwait(false));
    }

    private async Task<V1DaemonSet> GetTargetAsync(Canary canary, CancellationToken cancellationToken)
    {
        await cache.SyncAsync(cancellationToken).ConfigureAwait(false);
        return cache.DaemonSets.Get(canary.Namespace, canary.GetTargetName())
            ?? throw new TargetNotFoundException("DaemonSet", canary.GetTargetName(), canary.Namespace, $"daemonset {canary.GetTargetName()}.{canary.Namespace} get query error: daemonsets.apps \"{canary.GetTargetName()}\" not found");
    }

    private (string Label, string Value) Selector(Canary canary, V1DaemonSet target) =>
        Ownership.SelectorLabel(target.Spec.Selector, options.Value.SelectorLabels, "DaemonSet", $"{canary.GetTargetName()}.{canary.Namespace}");
}
