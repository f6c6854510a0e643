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
/// A workload target (<typeparamref name="TKind"/> says which): creates <c>&lt;t&gt;-primary</c>, promotes the
/// target's pod template onto it, parks the target between releases, and answers readiness as Flagger does. Reads
/// come from the caches; every write is skipped when the object already is as desired.
/// </summary>
/// <typeparam name="TWorkload">The workload model.</typeparam>
/// <typeparam name="TKind">What differs between kinds: the pod template, replicas or parking, readiness.</typeparam>
internal sealed class WorkloadController<TWorkload, TKind>(IKubernetes client, ClusterCache cache, ConfigTracker configs, IOptions<KubernetesOptions> options, TimeProvider time, OwnershipConflicts? conflicts = null, ICanaryStore? store = null) : ITargetController
    where TWorkload : class, IKubernetesObject<V1ObjectMeta>
    where TKind : IWorkloadKind<TWorkload>
{
    // The watch cache replaces its objects and never changes them, so a template's hash is computed once per
    // instance rather than by serialising the template on every tick.
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<V1PodTemplateSpec, string> TemplateHashes = [];

    private static string Lower => TKind.Kind.ToLowerInvariant();

    private Informer<TWorkload> Workloads => TKind.Informer(cache);

    public async Task<Readiness> InitializeAsync(Canary canary, bool requirePrimaryReady, CancellationToken cancellationToken)
    {
        var target = await GetTargetAsync(canary, cancellationToken).ConfigureAwait(false);
        var existing = Workloads.Get(canary.Namespace, PrimaryName(canary));
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
        if (Workloads.Get(canary.Namespace, PrimaryName(canary)) is not { } primary)
        {
            return Readiness.Wait($"{Lower} {id} get query error: not found");
        }

        return TKind.PrimaryHalted(primary, id)
            ?? DeploymentReadiness.ToReadiness(TKind.Check(canary, primary, canary.Spec.GetAnalysis().GetPrimaryReadyThreshold(), time.GetUtcNow()), id);
    }

    public async Task<Readiness> IsCanaryReadyAsync(Canary canary, CancellationToken cancellationToken)
    {
        var target = await GetTargetAsync(canary, cancellationToken).ConfigureAwait(false);
        var check = TKind.Check(canary, target, canary.Spec.GetAnalysis().GetCanaryReadyThreshold(), time.GetUtcNow());
        return DeploymentReadiness.ToReadiness(check, $"canary {Lower} {canary.GetTargetName()}.{canary.Namespace}");
    }

    public async Task<TargetRevision> GetRevisionAsync(Canary canary, CancellationToken cancellationToken)
    {
        var target = await GetTargetAsync(canary, cancellationToken).ConfigureAwait(false);
        var template = TKind.Template(target);
        var hash = template is not null ? TemplateHashes.GetValue(template, HashTemplate) : HashTemplate(null);

        // Parking (where the kind parks by its template) names no config.
        return new TargetRevision(hash, await configs.GetTrackedConfigsAsync(canary.Namespace, template?.Spec, cancellationToken).ConfigureAwait(false));
    }

    public async Task PromoteAsync(Canary canary, CancellationToken cancellationToken)
    {
        var target = await GetTargetAsync(canary, cancellationToken).ConfigureAwait(false);
        var (label, value) = Selector(canary, target);
        var tracked = await configs.CopyToPrimaryAsync(canary, TKind.Template(target)?.Spec, cancellationToken).ConfigureAwait(false);
        var cached = Workloads.Get(canary.Namespace, PrimaryName(canary))
            ?? throw new InvalidOperationException($"{Lower} {PrimaryName(canary)}.{canary.Namespace} get query error: not found");
        await GuardAsync(canary, cached.Metadata, cancellationToken).ConfigureAwait(false);
        var metadata = new PrimaryMetadata(
            Ownership.PrimaryLabels(Ownership.Filter(target.Metadata.Labels, options.Value.IncludeLabelPrefixes), label, value),
            Ownership.Filter(target.Metadata.Annotations, options.Value.IncludeLabelPrefixes));
        await RetryOnConflict.RunAsync(
            options.Value.ConflictRetries,
            async (attempt, ct) =>
            {
                // The first attempt decides on the cached primary; after a conflict, on the server's.
                var current = attempt == 0 ? cached : await TKind.ReadAsync(client, PrimaryName(canary), canary.Namespace, ct).ConfigureAwait(false);
                var desired = Ownership.Clone(current);
                var template = PrimaryTemplate.Build(TKind.UserTemplate(TKind.Template(target)) ?? new V1PodTemplateSpec(), label, value, tracked, TKind.Template(desired));
                TKind.Promote(canary, target, desired, template, metadata);
                if (KubernetesJson.Serialize(desired) == KubernetesJson.Serialize(current))
                {
                    return false;
                }

                Workloads.Upsert(await TKind.ReplaceAsync(client, desired, PrimaryName(canary), canary.Namespace, ct).ConfigureAwait(false));
                return true;
            },
            cancellationToken).ConfigureAwait(false);
    }

    public async Task ScaleToZeroAsync(Canary canary, CancellationToken cancellationToken)
    {
        var target = await GetTargetAsync(canary, cancellationToken).ConfigureAwait(false);
        await PatchTargetAsync(canary, TKind.ScaleToZero(target), cancellationToken).ConfigureAwait(false);
    }

    public async Task ScaleFromZeroAsync(Canary canary, CancellationToken cancellationToken)
    {
        var target = await GetTargetAsync(canary, cancellationToken).ConfigureAwait(false);
        await PatchTargetAsync(canary, TKind.ScaleFromZero(canary, target, cache), cancellationToken).ConfigureAwait(false);
    }

    public async Task FinalizeAsync(Canary canary, CancellationToken cancellationToken)
    {
        var target = await GetTargetAsync(canary, cancellationToken).ConfigureAwait(false);
        var primary = Workloads.Get(canary.Namespace, PrimaryName(canary));
        await PatchTargetAsync(canary, TKind.Restore(canary, target, primary, cache), cancellationToken).ConfigureAwait(false);
    }

    internal static string PrimaryName(Canary canary) => canary.GetTargetName() + "-primary";

    private static string HashTemplate(V1PodTemplateSpec? template) => SpecHash.Compute(KubernetesJson.Serialize(TKind.UserTemplate(template)));

    // A -primary that another controller owns is never taken over (OwnershipConflicts).
    private Task GuardAsync(Canary canary, V1ObjectMeta? existing, CancellationToken ct) =>
        conflicts?.CheckAsync(canary, TKind.Kind, PrimaryName(canary), existing, store, time.GetUtcNow(), ct) ?? Task.CompletedTask;

    private async Task PatchTargetAsync(Canary canary, string? patch, CancellationToken cancellationToken)
    {
        if (patch is null)
        {
            return;
        }

        var stored = await TKind.PatchAsync(client, new V1Patch(patch, V1Patch.PatchType.MergePatch), canary.GetTargetName(), canary.Namespace, cancellationToken).ConfigureAwait(false);
        Workloads.Upsert(stored);
    }

    private async Task<TWorkload> GetTargetAsync(Canary canary, CancellationToken cancellationToken)
    {
        await cache.SyncAsync(cancellationToken).ConfigureAwait(false);
        return Workloads.Get(canary.Namespace, canary.GetTargetName())
            ?? throw new TargetNotFoundException(TKind.Kind, canary.GetTargetName(), canary.Namespace, $"{Lower} {canary.GetTargetName()}.{canary.Namespace} get query error: {Lower}s.apps \"{canary.GetTargetName()}\" not found");
    }

    private (string Label, string Value) Selector(Canary canary, TWorkload target) =>
        Ownership.SelectorLabel(TKind.Selector(target), options.Value.SelectorLabels, TKind.Kind, $"{canary.GetTargetName()}.{canary.Namespace}");

    private async Task CreatePrimaryAsync(Canary canary, TWorkload target, CancellationToken cancellationToken)
    {
        var (label, value) = Selector(canary, target);
        var tracked = await configs.CopyToPrimaryAsync(canary, TKind.Template(target)?.Spec, cancellationToken).ConfigureAwait(false);
        var metadata = new V1ObjectMeta
        {
            Name = PrimaryName(canary),
            NamespaceProperty = canary.Namespace,
            Labels = Ownership.PrimaryLabels(Ownership.Filter(target.Metadata.Labels, options.Value.IncludeLabelPrefixes), label, value),
            Annotations = Ownership.Filter(target.Metadata.Annotations, options.Value.IncludeLabelPrefixes),
            OwnerReferences = [CanaryOwnership.ControllerReference(canary)],
        };
        var selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { [label] = value + "-primary" } };
        var template = PrimaryTemplate.Build(TKind.UserTemplate(TKind.Template(target)) ?? new V1PodTemplateSpec(), label, value, tracked, null);
        try
        {
            Workloads.Upsert(await TKind.CreateAsync(client, TKind.NewPrimary(target, metadata, selector, template), canary.Namespace, cancellationToken).ConfigureAwait(false));
        }
        catch (HttpOperationException e) when (RetryOnConflict.IsConflict(e))
        {
            // Created meanwhile (the cache was behind); the watch brings it.
        }
    }
}

/// <summary>The labels and annotations a promotion gives the primary.</summary>
internal sealed record PrimaryMetadata(Dictionary<string, string> Labels, Dictionary<string, string>? Annotations);
