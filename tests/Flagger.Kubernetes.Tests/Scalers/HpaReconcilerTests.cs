using k8s;
using k8s.Models;

namespace Flagger.Kubernetes.Scalers;

public sealed class HpaReconcilerTests
{
    [Fact]
    public async Task The_walkthrough_v2beta1_hpa_is_cloned_as_a_v2_primary_retargeted_at_the_primary()
    {
        await using var kube = await KubeCluster.StartAsync();
        await kube.ApplyWalkthroughAsync(hpa: true);
        await kube.SettleAsync();
        var canary = await kube.CanaryAsync();
        var reconciler = new HpaReconciler(kube.Client, kube.Cache, kube.Options);

        await reconciler.ReconcilePrimaryScalerAsync(canary, initializing: true, KubeCluster.Ct);

        var primary = await kube.Client.AutoscalingV2.ReadNamespacedHorizontalPodAutoscalerAsync("podinfo-primary", "test", cancellationToken: KubeCluster.Ct);
        Assert.Equal(("Deployment", "podinfo-primary"), (primary.Spec.ScaleTargetRef.Kind, primary.Spec.ScaleTargetRef.Name));
        Assert.Equal((2, 4), (primary.Spec.MinReplicas, primary.Spec.MaxReplicas));
        var metric = Assert.Single(primary.Spec.Metrics);
        Assert.Equal(("cpu", "Utilization", 99), (metric.Resource.Name, metric.Resource.Target.Type, metric.Resource.Target.AverageUtilization));
        Assert.Equal("Canary", Assert.Single(primary.Metadata.OwnerReferences).Kind);
    }

    [Fact]
    public async Task The_primary_hpa_follows_the_target_only_at_promotion_and_honours_primaryScalerReplicas()
    {
        await using var kube = await KubeCluster.StartAsync();
        await kube.ApplyWalkthroughAsync(hpa: true);
        await kube.SettleAsync();
        var canary = await kube.CanaryAsync();
        var reconciler = new HpaReconciler(kube.Client, kube.Cache, kube.Options);
        await reconciler.ReconcilePrimaryScalerAsync(canary, true, KubeCluster.Ct);
        await kube.Client.CustomObjects.PatchNamespacedCustomObjectAsync(
            new V1Patch("""{"spec":{"maxReplicas":6}}""", V1Patch.PatchType.MergePatch), "autoscaling", "v2", "test", "horizontalpodautoscalers", "podinfo", cancellationToken: KubeCluster.Ct);
        await kube.SettleAsync();

        await reconciler.ReconcilePrimaryScalerAsync(canary, true, KubeCluster.Ct);
        Assert.Equal(4, (await kube.Client.AutoscalingV2.ReadNamespacedHorizontalPodAutoscalerAsync("podinfo-primary", "test", cancellationToken: KubeCluster.Ct)).Spec.MaxReplicas);

        var bounded = canary with
        {
            Spec = canary.Spec with { AutoscalerRef = canary.Spec.AutoscalerRef! with { PrimaryScalerReplicas = new Flagger.Model.PrimaryScalerReplicas { MinReplicas = 3 } } },
        };
        await reconciler.ReconcilePrimaryScalerAsync(bounded, false, KubeCluster.Ct);
        var promoted = await kube.Client.AutoscalingV2.ReadNamespacedHorizontalPodAutoscalerAsync("podinfo-primary", "test", cancellationToken: KubeCluster.Ct);
        Assert.Equal((3, 6), (promoted.Spec.MinReplicas, promoted.Spec.MaxReplicas));
    }
}
