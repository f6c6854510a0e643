using Flagger.Kubernetes.Caches;
using Flagger.Model;
using Flagger.Targets;
using k8s;
using k8s.Models;

namespace Flagger.Kubernetes.Targets;

/// <summary>
/// The part of a workload target that differs between kinds, for <see cref="WorkloadController{TWorkload, TKind}"/>:
/// where the pod template and selector live, what a new primary carries and what a promotion copies, how the
/// target is parked and brought back, and when a workload is ready.
/// </summary>
/// <typeparam name="TWorkload">The workload model.</typeparam>
internal interface IWorkloadKind<TWorkload>
    where TWorkload : class, IKubernetesObject<V1ObjectMeta>
{
    /// <summary>The kind, as in <c>spec.targetRef.kind</c>.</summary>
    static abstract string Kind { get; }

    /// <summary>The cache of this kind.</summary>
    static abstract Informer<TWorkload> Informer(ClusterCache cache);

    static abstract V1LabelSelector? Selector(TWorkload workload);

    static abstract V1PodTemplateSpec? Template(TWorkload workload);

    /// <summary>The template as the user wrote it, without anything Flagger put there to park the target.</summary>
    static abstract V1PodTemplateSpec? UserTemplate(V1PodTemplateSpec? template);

    static abstract TWorkload NewPrimary(TWorkload target, V1ObjectMeta metadata, V1LabelSelector selector, V1PodTemplateSpec template);

    /// <summary>Puts the promoted template, and what else a promotion copies from the target, on the primary.</summary>
    static abstract void Promote(Canary canary, TWorkload target, TWorkload primary, V1PodTemplateSpec template, PrimaryMetadata metadata);

    /// <summary>A verdict that stops the primary's readiness check before it starts, or null.</summary>
    static abstract Readiness? PrimaryHalted(TWorkload primary, string id);

    /// <summary>Null when ready; otherwise whether to retry, and why.</summary>
    static abstract (bool Retriable, string Reason)? Check(Canary canary, TWorkload workload, int readyThreshold, DateTimeOffset now);

    /// <summary>The merge patch that parks the target, or null when it is parked.</summary>
    static abstract string? ScaleToZero(TWorkload target);

    /// <summary>The merge patch that brings the target back, or null when it runs.</summary>
    static abstract string? ScaleFromZero(Canary canary, TWorkload target, ClusterCache cache);

    /// <summary>The merge patch that hands the workload back to the user when the canary is deleted, or null.</summary>
    static abstract string? Restore(Canary canary, TWorkload target, TWorkload? primary, ClusterCache cache);

    static abstract Task<TWorkload> CreateAsync(IKubernetes client, TWorkload body, string @namespace, CancellationToken cancellationToken);

    static abstract Task<TWorkload> ReadAsync(IKubernetes client, string name, string @namespace, CancellationToken cancellationToken);

    static abstract Task<TWorkload> ReplaceAsync(IKubernetes client, TWorkload body, string name, string @namespace, CancellationToken cancellationToken);

    static abstract Task<TWorkload> PatchAsync(IKubernetes client, V1Patch patch, string name, string @namespace, CancellationToken cancellationToken);
}
