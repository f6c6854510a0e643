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
/// The Deployment target: creates <c>&lt;t&gt;-primary</c>, promotes the target's template onto it, parks the target
/// at zero replicas between releases, and answers readiness as Flagger does. Reads come from the caches; every
/// write is skipped when the object already is as desired.
/// </summary>
internal sealed class DeploymentController(IKubernetes client, ClusterCache cache, ConfigTracker configs, IOptions<KubernetesOptions> options, TimeProvider time, OwnershipConflicts? conflicts = null, ICanaryStore? store = null) : ITargetController
{
    public async Task<Readiness> InitializeAsync(Canary canary, bool requirePrimaryReady, CancellationToken cancellationToken)
    {
        var target = await GetTargetAsync(canary, cancellationToken).ConfigureAwait(false);
        var existing = cache.Deployments.Get(canary.Namespace, PrimaryName(canary));
        await GuardAsync(canary, existing?.Metadata, cancellationToken).ConfigureAwait(false);
        if (existing is null)
        {
            await CreatePrimaryAsync(canary, target, cancellationToken).ConfigureAwait(false);
        }

        return requirePrimaryReady ? await IsPrimaryReadyAsync(canary, cancellationToken).ConfigureAwait(false) : Readiness.Ready;
    }

    public async Task<Readiness> IsPrimaryReadyAsync(Canary canary, CancellationToken cancellationToken)
    {
        await cache.SyncAsync(cancellationToken).ConfigureAwait(false);
        var id = $"{PrimaryName(canary)}.{canary.Namespace}";
        if (cache.Deployments.Get(canary.Namespace, PrimaryName(canary)) is not { } primary)
        {
            return Readiness.Wait($"deployment {id} get query error: not found");
        }

        // Flagger 1.44 compares pointers here, so the check never fires (departure 10).
        if (primary.Spec?.Replicas == 0)
        {
            return Readiness.GiveUp($"halt advancement {id}: primary deployment is scaled to zero");
        }

        var check = DeploymentReadiness.Check(primary, canary.Spec.GetProgressDeadline(), canary.Spec.GetAnalysis().GetPrimaryReadyThreshold(), time.GetUtcNow());
        return DeploymentReadiness.ToReadiness(check, id);
    }

    public async Task<Readiness> IsCanaryReadyAsync(Canary canary, CancellationToken cancellationToken)
    {
        var target = await GetTargetAsync(canary, cancellationToken).ConfigureAwait(false);
        var check = DeploymentReadiness.Check(target, canary.Spec.GetProgressDeadline(), canary.Spec.GetAnalysis().GetCanaryReadyThreshold(), time.GetUtcNow());
        return DeploymentReadiness.ToReadiness(check, $"canary deployment {canary.GetTargetName()}.{canary.Namespace}");
    }

    public async Task<TargetRevision> GetRevisionAsync(Canary canary, CancellationToken cancellationToken)
    {
        var target = await GetTargetAsync(canary, cancellationToken).ConfigureAwait(false);
        return new TargetRevision(
            target.Spec.Template is { } template ? TemplateHashes.GetValue(template, HashTemplate) : HashTemplate(null),
            configs.GetTrackedConfigs(canary.Namespace, target.Spec.Template?.Spec));
    }

    public async Task PromoteAsync(Canary canary, CancellationToken cancellationToken)
    {
        var target = await GetTargetAsync(canary, cancellationToken).ConfigureAwait(false);
        var (label, value) = Selector(canary, target);
        var tracked = await configs.CopyToPrimaryAsync(canary, target.Spec.Template?.Spec, cancellationToken).ConfigureAwait(false);
        await UpdatePrimaryAsync(canary, primary =>
        {
            primary.Spec.Template = PrimaryTemplate.Build(target.Spec.Template!, label, value, tracked, primary.Spec.Template);
            primary.Spec.Strategy = target.Spec.Strategy;
            primary.Spec.MinReadySeconds = target.Spec.MinReadySeconds;
            primary.Spec.RevisionHistoryLimit = target.Spec.RevisionHistoryLimit;
            primary.Spec.ProgressDeadlineSeconds = target.Spec.ProgressDeadlineSeconds;
            if (canary.Spec.AutoscalerRef is null)
            {
                // With an autoscaler the primary's replicas belong to its HPA.
                primary.Spec.Replicas = target.Spec.Replicas;
            }

            primary.Metadata.Labels = Ownership.PrimaryLabels(Ownership.Filter(target.Metadata.Labels, options.Value.IncludeLabelPrefixes), label, value);
            primary.Metadata.Annotations = Ownership.Filter(target.Metadata.Annotations, options.Value.IncludeLabelPrefixes);
        }, cancellationToken).ConfigureAwait(false);
    }

    public Task ScaleToZeroAsync(Canary canary, CancellationToken cancellationToken) => ScaleTargetAsync(canary, 0, cancellationToken);

    public async Task ScaleFromZeroAsync(Canary canary, CancellationToken cancellationToken)
    {
        var target = await GetTargetAsync(canary, cancellationToken).ConfigureAwait(false);
        await ScaleTargetAsync(canary, ScaleUpReplicas(canary, target), cancellationToken).ConfigureAwait(false);
    }

    public async Task FinalizeAsync(Canary canary, CancellationToken cancellationToken)
    {
        await cache.SyncAsync(cancellationToken).ConfigureAwait(false);
        if (cache.Deployments.Get(canary.Namespace, PrimaryName(canary)) is { Spec.Replicas: > 0 } primary)
        {
            await ScaleTargetAsync(canary, primary.Spec.Replicas.Value, cancellationToken).ConfigureAwait(false);
            return;
        }

        await ScaleFromZeroAsync(canary, cancellationToken).ConfigureAwait(false);
    }

    // The watch cache replaces its objects and never changes them, so a template's hash is computed once per
    // instance rather than by serialising the template on every tick.
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<V1PodTemplateSpec, string> TemplateHashes = [];

    private static string HashTemplate(V1PodTemplateSpec? template) => SpecHash.Compute(KubernetesJson.Serialize(template));

    // A -primary that another controller owns is never taken over (OwnershipConflicts).
    private Task GuardAsync(Canary canary, V1ObjectMeta? existing, CancellationToken ct) =>
        conflicts?.CheckAsync(canary, "Deployment", PrimaryName(canary), existing, store, time.GetUtcNow(), ct) ?? Task.CompletedTask;

    internal static string PrimaryName(Canary canary) => canary.GetTargetName() + "-primary";

    // §1.6: the target's own replicas; else the primary's (no autoscaler); else the HPA minimum when above 1; else 1.
    private int ScaleUpReplicas(Canary canary, V1Deployment target)
    {
        if (target.Spec.Replicas is > 0 and var own)
        {
            return own;
        }

        if (canary.Spec.AutoscalerRef is null)
        {
            return cache.Deployments.Get(canary.Namespace, PrimaryName(canary))?.Spec?.Replicas is > 0 and var p ? p : 1;
        }

        var hpa = canary.Spec.AutoscalerRef.Name is { } hpaName ? cache.Hpas.Get(canary.Namespace, hpaName) : null;
        var min = hpa?["spec"]?["minReplicas"]?.GetValue<int>() ?? 1;
        return min > 1 ? min : 1;
    }

    private async Task ScaleTargetAsync(Canary canary, int replicas, CancellationToken cancellationToken)
    {
        var target = await GetTargetAsync(canary, cancellationToken).ConfigureAwait(false);
        if (target.Spec.Replicas == replicas)
        {
            return;
        }

        var patch = new V1Patch("{\"spec\":{\"replicas\":" + replicas.ToString(System.Globalization.CultureInfo.InvariantCulture) + "}}", V1Patch.PatchType.MergePatch);
        var stored = await client.AppsV1.PatchNamespacedDeploymentAsync(patch, canary.GetTargetName(), canary.Namespace, cancellationToken: cancellationToken).ConfigureAwait(false);
        cache.Deployments.Upsert(stored);
    }

    private async Task<V1Deployment> GetTargetAsync(Canary canary, CancellationToken cancellationToken)
    {
        await cache.SyncAsync(cancellationToken).ConfigureAwait(false);
        return cache.Deployments.Get(canary.Namespace, canary.GetTargetName())
            ?? throw new TargetNotFoundException("Deployment", canary.GetTargetName(), canary.Namespace, $"deployment {canary.GetTargetName()}.{canary.Namespace} get query error: deployments.apps \"{canary.GetTargetName()}\" not found");
    }

    private (string Label, string Value) Selector(Canary canary, V1Deployment target) =>
        Ownership.SelectorLabel(target.Spec.Selector, options.Value.SelectorLabels, "Deployment", $"{canary.GetTargetName()}.{canary.Namespace}");

    private async Task CreatePrimaryAsync(Canary canary, V1Deployment target, CancellationToken cancellationToken)
    {
        var (label, value) = Selector(canary, target);
        var tracked = await configs.CopyToPrimaryAsync(canary, target.Spec.Template?.Spec, cancellationToken).ConfigureAwait(false);
        var primary = new V1Deployment
        {
            ApiVersion = "apps/v1",
            Kind = "Deployment",
            Metadata = new V1ObjectMeta
            {
                Name = PrimaryName(canary),
                NamespaceProperty = canary.Namespace,
                Labels = Ownership.PrimaryLabels(Ownership.Filter(target.Metadata.Labels, options.Value.IncludeLabelPrefixes), label, value),
                Annotations = Ownership.Filter(target.Metadata.Annotations, options.Value.IncludeLabelPrefixes),
                OwnerReferences = [Ownership.CanaryOwner(canary)],
            },
            Spec = new V1DeploymentSpec
            {
                Replicas = target.Spec.Replicas is > 0 ? target.Spec.Replicas : 1,
                MinReadySeconds = target.Spec.MinReadySeconds,
                RevisionHistoryLimit = target.Spec.RevisionHistoryLimit,
                ProgressDeadlineSeconds = target.Spec.ProgressDeadlineSeconds,
                Strategy = target.Spec.Strategy,
                Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { [label] = value + "-primary" } },
                Template = PrimaryTemplate.Build(target.Spec.Template ?? new V1PodTemplateSpec(), label, value, tracked, null),
            },
        };
        try
        {
            cache.Deployments.Upsert(await client.AppsV1.CreateNamespacedDeploymentAsync(primary, canary.Namespace, cancellationToken: cancellationToken).ConfigureAwait(false));
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
        {
            // Created meanwhile (the cache was behind); the watch brings it.
        }
    }

    private async Task UpdatePrimaryAsync(Canary canary, Action<V1Deployment> change, CancellationToken cancellationToken)
    {
        var current = cache.Deployments.Get(canary.Namespace, PrimaryName(canary))
            ?? throw new InvalidOperationException($"deployment {PrimaryName(canary)}.{canary.Namespace} get query error: not found");
        await GuardAsync(canary, current.Metadata, cancellationToken).ConfigureAwait(false);
        for (var attempt = 1; ; attempt++)
        {
            var desired = Ownership.Clone(current);
            change(desired);
            if (KubernetesJson.Serialize(desired) == KubernetesJson.Serialize(current))
            {
                return;
            }

            try
            {
                cache.Deployments.Upsert(await client.AppsV1.ReplaceNamespacedDeploymentAsync(desired, PrimaryName(canary), canary.Namespace, cancellationToken: cancellationToken).ConfigureAwait(false));
                return;
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict && attempt < 5)
            {
                current = await client.AppsV1.ReadNamespacedDeploymentAsync(PrimaryName(canary), canary.Namespace, cancellationToken: cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
