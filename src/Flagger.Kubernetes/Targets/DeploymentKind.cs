using System.Globalization;
using Flagger.Kubernetes.Caches;
using Flagger.Model;
using Flagger.Targets;
using k8s;
using k8s.Models;

namespace Flagger.Kubernetes.Targets;

/// <summary>The Deployment target: parked at zero replicas between releases; readiness as Flagger's (§2.5).</summary>
internal sealed class DeploymentKind : IWorkloadKind<V1Deployment>
{
    public static string Kind => "Deployment";

    public static Informer<V1Deployment> Informer(ClusterCache cache) => cache.Deployments;

    public static V1LabelSelector? Selector(V1Deployment workload) => workload.Spec.Selector;

    public static V1PodTemplateSpec? Template(V1Deployment workload) => workload.Spec.Template;

    public static V1PodTemplateSpec? UserTemplate(V1PodTemplateSpec? template) => template;

    public static V1Deployment NewPrimary(V1Deployment target, V1ObjectMeta metadata, V1LabelSelector selector, V1PodTemplateSpec template) => new()
    {
        ApiVersion = "apps/v1",
        Kind = "Deployment",
        Metadata = metadata,
        Spec = new V1DeploymentSpec
        {
            Replicas = target.Spec.Replicas is > 0 ? target.Spec.Replicas : 1,
            MinReadySeconds = target.Spec.MinReadySeconds,
            RevisionHistoryLimit = target.Spec.RevisionHistoryLimit,
            ProgressDeadlineSeconds = target.Spec.ProgressDeadlineSeconds,
            Strategy = target.Spec.Strategy,
            Selector = selector,
            Template = template,
        },
    };

    public static void Promote(Canary canary, V1Deployment target, V1Deployment primary, V1PodTemplateSpec template, PrimaryMetadata metadata)
    {
        primary.Spec.Template = template;
        primary.Spec.Strategy = target.Spec.Strategy;
        primary.Spec.MinReadySeconds = target.Spec.MinReadySeconds;
        primary.Spec.RevisionHistoryLimit = target.Spec.RevisionHistoryLimit;
        primary.Spec.ProgressDeadlineSeconds = target.Spec.ProgressDeadlineSeconds;
        if (canary.Spec.AutoscalerRef is null)
        {
            // With an autoscaler the primary's replicas belong to its HPA.
            primary.Spec.Replicas = target.Spec.Replicas;
        }

        primary.Metadata.Labels = metadata.Labels;
        primary.Metadata.Annotations = metadata.Annotations;
    }

    // Flagger 1.44 compares pointers here, so the check never fires (departure 10).
    public static Readiness? PrimaryHalted(V1Deployment primary, string id) =>
        primary.Spec?.Replicas == 0 ? Readiness.GiveUp($"halt advancement {id}: primary deployment is scaled to zero") : null;

    public static (bool Retriable, string Reason)? Check(Canary canary, V1Deployment workload, int readyThreshold, DateTimeOffset now) =>
        DeploymentReadiness.Check(workload, canary.Spec.GetProgressDeadline(), readyThreshold, now);

    public static string? ScaleToZero(V1Deployment target) => Replicas(target, 0);

    public static string? ScaleFromZero(Canary canary, V1Deployment target, ClusterCache cache) => Replicas(target, ScaleUpReplicas(canary, target, cache));

    // The primary's replicas while it runs; else as when scaling up.
    public static string? Restore(Canary canary, V1Deployment target, V1Deployment? primary, ClusterCache cache) =>
        primary is { Spec.Replicas: > 0 and var running } ? Replicas(target, running) : ScaleFromZero(canary, target, cache);

    public static Task<V1Deployment> CreateAsync(IKubernetes client, V1Deployment body, string @namespace, CancellationToken cancellationToken) =>
        client.AppsV1.CreateNamespacedDeploymentAsync(body, @namespace, cancellationToken: cancellationToken);

    public static Task<V1Deployment> ReadAsync(IKubernetes client, string name, string @namespace, CancellationToken cancellationToken) =>
        client.AppsV1.ReadNamespacedDeploymentAsync(name, @namespace, cancellationToken: cancellationToken);

    public static Task<V1Deployment> ReplaceAsync(IKubernetes client, V1Deployment body, string name, string @namespace, CancellationToken cancellationToken) =>
        client.AppsV1.ReplaceNamespacedDeploymentAsync(body, name, @namespace, cancellationToken: cancellationToken);

    public static Task<V1Deployment> PatchAsync(IKubernetes client, V1Patch patch, string name, string @namespace, CancellationToken cancellationToken) =>
        client.AppsV1.PatchNamespacedDeploymentAsync(patch, name, @namespace, cancellationToken: cancellationToken);

    private static string? Replicas(V1Deployment target, int replicas) =>
        target.Spec.Replicas == replicas ? null : "{\"spec\":{\"replicas\":" + replicas.ToString(CultureInfo.InvariantCulture) + "}}";

    // §1.6: the target's own replicas; else the primary's (no autoscaler); else the HPA minimum when above 1; else 1.
    private static int ScaleUpReplicas(Canary canary, V1Deployment target, ClusterCache cache)
    {
        if (target.Spec.Replicas is > 0 and var own)
        {
            return own;
        }

        if (canary.Spec.AutoscalerRef is null)
        {
            return cache.Deployments.Get(canary.Namespace, canary.GetTargetName() + "-primary")?.Spec?.Replicas is > 0 and var p ? p : 1;
        }

        var hpa = canary.Spec.AutoscalerRef.Name is { } hpaName ? cache.Hpas.Get(canary.Namespace, hpaName) : null;
        var min = hpa?["spec"]?["minReplicas"]?.GetValue<int>() ?? 1;
        return min > 1 ? min : 1;
    }
}
