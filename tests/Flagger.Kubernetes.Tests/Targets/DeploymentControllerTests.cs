using Flagger.Kubernetes.Targets;
using Flagger.Model;
using Flagger.Targets;

namespace Flagger.Kubernetes.Targets;

public sealed class DeploymentControllerTests
{
    private static DeploymentController Controller(KubeCluster kube) => new(kube.Client, kube.Cache, kube.Configs, kube.Options, kube.Clock);

    [Fact]
    public async Task Creates_the_primary_with_rewritten_selector_owner_and_filtered_labels()
    {
        await using var kube = await KubeCluster.StartAsync(o => o.IncludeLabelPrefixes.Add("app"));
        await kube.ApplyWalkthroughAsync(hpa: false);
        await kube.SettleAsync();
        var canary = await kube.CanaryAsync();

        var readiness = await Controller(kube).InitializeAsync(canary, requirePrimaryReady: true, KubeCluster.Ct);

        Assert.Equal(ReadinessState.Wait, readiness.State);
        var primary = await kube.DeploymentAsync("podinfo-primary");
        Assert.Equal("podinfo-primary", primary.Spec.Selector.MatchLabels["app"]);
        Assert.Equal("podinfo-primary", primary.Spec.Template.Metadata.Labels["app"]);
        Assert.Equal("podinfo-primary", primary.Metadata.Labels["app"]);
        Assert.Equal("stefanprodan/podinfo:1.4.0", primary.Spec.Template.Spec.Containers[0].Image);
        Assert.True(primary.Spec.Template.Metadata.Annotations.ContainsKey("flagger-id"));
        Assert.Equal(5, primary.Spec.MinReadySeconds);
        var owner = Assert.Single(primary.Metadata.OwnerReferences);
        Assert.Equal(("Canary", "podinfo", canary.Metadata.Uid, true), (owner.Kind, owner.Name, owner.Uid, owner.Controller == true));

        await kube.AdvanceAsync(TimeSpan.FromSeconds(2));
        Assert.True((await Controller(kube).IsPrimaryReadyAsync(canary, KubeCluster.Ct)).IsReady);
    }

    [Fact]
    public async Task Labels_outside_the_include_prefixes_are_not_copied()
    {
        await using var kube = await KubeCluster.StartAsync();
        await kube.ApplyWalkthroughAsync(hpa: false);
        await kube.SettleAsync();

        await Controller(kube).InitializeAsync(await kube.CanaryAsync(), false, KubeCluster.Ct);

        var primary = await kube.DeploymentAsync("podinfo-primary");
        Assert.Equal(new Dictionary<string, string> { ["app"] = "podinfo-primary" }, primary.Metadata.Labels);
    }

    [Fact]
    public async Task Scales_the_target_to_zero_and_back_with_the_replica_rule()
    {
        await using var kube = await KubeCluster.StartAsync();
        await kube.ApplyWalkthroughAsync(hpa: false);
        await kube.SettleAsync();
        var canary = await kube.CanaryAsync();
        var controller = Controller(kube);
        await controller.InitializeAsync(canary, false, KubeCluster.Ct);

        await controller.ScaleToZeroAsync(canary, KubeCluster.Ct);
        Assert.Equal(0, (await kube.DeploymentAsync("podinfo")).Spec.Replicas);

        await kube.PatchDeploymentAsync("podinfo-primary", """{"spec":{"replicas":3}}""");
        await kube.SettleAsync();
        await controller.ScaleFromZeroAsync(canary, KubeCluster.Ct);
        Assert.Equal(3, (await kube.DeploymentAsync("podinfo")).Spec.Replicas);
    }

    [Fact]
    public async Task Readiness_waits_for_the_rollout_then_gives_up_past_the_progress_deadline()
    {
        await using var kube = await KubeCluster.StartAsync();
        await kube.ApplyWalkthroughAsync(hpa: false);
        await kube.AdvanceAsync(TimeSpan.FromSeconds(2));
        var canary = await kube.CanaryAsync();
        var controller = Controller(kube);
        Assert.True((await controller.IsCanaryReadyAsync(canary, KubeCluster.Ct)).IsReady);

        await kube.PatchDeploymentAsync("podinfo", """{"spec":{"template":{"spec":{"containers":[{"name":"podinfod","image":"stefanprodan/podinfo:1.4.1","env":[{"name":"FLAGGER_TESTING_NEVER_READY","value":"true"}]}]}}}}""");
        await kube.SettleAsync();
        var waiting = await controller.IsCanaryReadyAsync(canary, KubeCluster.Ct);
        Assert.Equal(ReadinessState.Wait, waiting.State);
        Assert.StartsWith("canary deployment podinfo.test not ready: waiting for rollout to finish", waiting.Reason, StringComparison.Ordinal);

        await kube.AdvanceAsync(TimeSpan.FromSeconds(61));
        var stuck = await controller.IsCanaryReadyAsync(canary, KubeCluster.Ct);
        Assert.Equal(ReadinessState.GiveUp, stuck.State);
        Assert.Contains("exceeded its progress deadline", stuck.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_primary_scaled_to_zero_is_never_ready()
    {
        await using var kube = await KubeCluster.StartAsync();
        await kube.ApplyWalkthroughAsync(hpa: false);
        await kube.SettleAsync();
        var canary = await kube.CanaryAsync();
        await Controller(kube).InitializeAsync(canary, false, KubeCluster.Ct);
        await kube.PatchDeploymentAsync("podinfo-primary", """{"spec":{"replicas":0}}""");
        await kube.SettleAsync();

        var readiness = await Controller(kube).IsPrimaryReadyAsync(canary, KubeCluster.Ct);

        Assert.Equal(ReadinessState.GiveUp, readiness.State);
        Assert.Contains("primary deployment is scaled to zero", readiness.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Promotion_copies_the_template_and_keeps_flagger_id_when_nothing_changed()
    {
        await using var kube = await KubeCluster.StartAsync();
        await kube.ApplyWalkthroughAsync(hpa: false);
        await kube.SettleAsync();
        var canary = await kube.CanaryAsync();
        var controller = Controller(kube);
        await controller.InitializeAsync(canary, false, KubeCluster.Ct);
        var id = (await kube.DeploymentAsync("podinfo-primary")).Spec.Template.Metadata.Annotations["flagger-id"];

        await controller.PromoteAsync(canary, KubeCluster.Ct);
        var unchanged = await kube.DeploymentAsync("podinfo-primary");
        Assert.Equal(id, unchanged.Spec.Template.Metadata.Annotations["flagger-id"]);

        await kube.PatchDeploymentAsync("podinfo", """{"spec":{"minReadySeconds":7,"template":{"spec":{"containers":[{"name":"podinfod","image":"stefanprodan/podinfo:1.4.1"}]}}}}""");
        await kube.SettleAsync();
        var before = await controller.GetRevisionAsync(canary, KubeCluster.Ct);
        await controller.PromoteAsync(canary, KubeCluster.Ct);

        var promoted = await kube.DeploymentAsync("podinfo-primary");
        Assert.Equal("stefanprodan/podinfo:1.4.1", promoted.Spec.Template.Spec.Containers[0].Image);
        Assert.Equal(7, promoted.Spec.MinReadySeconds);
        Assert.NotEqual(id, promoted.Spec.Template.Metadata.Annotations["flagger-id"]);
        Assert.Equal("podinfo-primary", promoted.Spec.Template.Metadata.Labels["app"]);
        Assert.Equal(before.SpecHash, (await controller.GetRevisionAsync(canary, KubeCluster.Ct)).SpecHash);
    }

    [Fact]
    public async Task Spread_and_anti_affinity_selectors_of_the_primary_point_at_primary_pods()
    {
        await using var kube = await KubeCluster.StartAsync();
        await kube.ApplyWalkthroughAsync(hpa: false);
        await kube.PatchDeploymentAsync("podinfo", """
            {"spec":{"template":{"spec":{
              "topologySpreadConstraints":[{"maxSkew":1,"topologyKey":"zone","whenUnsatisfiable":"DoNotSchedule","labelSelector":{"matchLabels":{"app":"podinfo"}}}],
              "affinity":{"podAntiAffinity":{"preferredDuringSchedulingIgnoredDuringExecution":[{"weight":100,"podAffinityTerm":{"topologyKey":"kubernetes.io/hostname","labelSelector":{"matchExpressions":[{"key":"app","operator":"In","values":["podinfo"]}]}}}]}}}}}}
            """);
        await kube.SettleAsync();

        await Controller(kube).InitializeAsync(await kube.CanaryAsync(), false, KubeCluster.Ct);

        var spec = (await kube.DeploymentAsync("podinfo-primary")).Spec.Template.Spec;
        Assert.Equal("podinfo-primary", spec.TopologySpreadConstraints[0].LabelSelector.MatchLabels["app"]);
        Assert.Equal(["podinfo-primary"], spec.Affinity.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution[0].PodAffinityTerm.LabelSelector.MatchExpressions[0].Values);
    }

    [Fact]
    public async Task Readiness_halts_while_the_hpa_scales_the_canary_up_from_zero()
    {
        await using var kube = await KubeCluster.StartAsync();
        await kube.ApplyWalkthroughAsync(hpa: true);
        await kube.SettleAsync();
        var canary = await kube.CanaryAsync();
        var controller = Controller(kube);
        await controller.InitializeAsync(canary, false, KubeCluster.Ct);
        await controller.ScaleToZeroAsync(canary, KubeCluster.Ct);
        await kube.AdvanceAsync(TimeSpan.FromSeconds(5));

        await controller.ScaleFromZeroAsync(canary, KubeCluster.Ct);
        await kube.SettleAsync();

        Assert.Equal(2, (await kube.DeploymentAsync("podinfo")).Spec.Replicas);
        var scaling = await controller.IsCanaryReadyAsync(canary, KubeCluster.Ct);
        Assert.Equal(ReadinessState.Wait, scaling.State);
        Assert.StartsWith("canary deployment podinfo.test not ready: waiting for rollout to finish", scaling.Reason, StringComparison.Ordinal);
        await kube.AdvanceAsync(TimeSpan.FromSeconds(2));
        Assert.True((await controller.IsCanaryReadyAsync(canary, KubeCluster.Ct)).IsReady);
    }

    [Fact]
    public async Task Finalize_gives_the_target_the_primary_replicas()
    {
        await using var kube = await KubeCluster.StartAsync();
        await kube.ApplyWalkthroughAsync(hpa: false);
        await kube.SettleAsync();
        var canary = await kube.CanaryAsync();
        var controller = Controller(kube);
        await controller.InitializeAsync(canary, false, KubeCluster.Ct);
        await controller.ScaleToZeroAsync(canary, KubeCluster.Ct);
        await kube.PatchDeploymentAsync("podinfo-primary", """{"spec":{"replicas":2}}""");
        await kube.SettleAsync();

        await controller.FinalizeAsync(canary, KubeCluster.Ct);

        Assert.Equal(2, (await kube.DeploymentAsync("podinfo")).Spec.Replicas);
    }
}
