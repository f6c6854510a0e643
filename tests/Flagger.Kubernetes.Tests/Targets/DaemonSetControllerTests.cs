using k8s;
using Flagger.Model;
using Flagger.Targets;

namespace Flagger.Kubernetes.Targets;

public sealed class DaemonSetControllerTests
{
    // The DaemonSet both tests start from.
    private const string Agent = """
        apiVersion: apps/v1
        kind: DaemonSet
        metadata:
          name: agent
          namespace: test
        spec:
          selector:
            matchLabels:
              name: agent
          template:
            metadata:
              labels:
                name: agent
            spec:
              containers:
              - name: agent
                image: example/agent:1.0
        """;

    [Fact]
    public async Task Creates_the_primary_and_parks_the_target_with_a_node_selector_left_out_of_the_revision()
    {
        await using var kube = await KubeCluster.StartAsync();
        await kube.ApplyAsync(Agent);
        await kube.ApplyAsync("""
            apiVersion: flagger.app/v1beta1
            kind: Canary
            metadata:
              name: agent
              namespace: test
            spec:
              targetRef:
                apiVersion: apps/v1
                kind: DaemonSet
                name: agent
              service:
                port: 8080
              analysis:
                interval: 1m
                threshold: 2
                iterations: 2
            """);
        await kube.SettleAsync();
        var canary = await kube.CanaryAsync("agent");
        var controller = new DaemonSetController(kube.Client, kube.Cache, kube.Configs, kube.Options, kube.Clock);

        Assert.Equal(ReadinessState.Wait, (await controller.InitializeAsync(canary, true, KubeCluster.Ct)).State);
        var primary = await kube.Client.AppsV1.ReadNamespacedDaemonSetAsync("agent-primary", "test", cancellationToken: KubeCluster.Ct);
        Assert.Equal("agent-primary", primary.Spec.Selector.MatchLabels["name"]);
        await kube.AdvanceAsync(TimeSpan.FromSeconds(2));
        var ready = await controller.IsPrimaryReadyAsync(canary, KubeCluster.Ct);
        Assert.True(ready.IsReady, ready.Reason);

        var before = await controller.GetRevisionAsync(canary, KubeCluster.Ct);
        await controller.ScaleToZeroAsync(canary, KubeCluster.Ct);
        var parked = await kube.Client.AppsV1.ReadNamespacedDaemonSetAsync("agent", "test", cancellationToken: KubeCluster.Ct);
        Assert.Equal("true", parked.Spec.Template.Spec.NodeSelector["flagger.app/scale-to-zero"]);
        await kube.SettleAsync();
        Assert.Equal(before.SpecHash, (await controller.GetRevisionAsync(canary, KubeCluster.Ct)).SpecHash);

        await controller.PromoteAsync(canary, KubeCluster.Ct);
        var promoted = await kube.Client.AppsV1.ReadNamespacedDaemonSetAsync("agent-primary", "test", cancellationToken: KubeCluster.Ct);
        Assert.Null(promoted.Spec.Template.Spec.NodeSelector);

        await controller.ScaleFromZeroAsync(canary, KubeCluster.Ct);
        var unparked = await kube.Client.AppsV1.ReadNamespacedDaemonSetAsync("agent", "test", cancellationToken: KubeCluster.Ct);
        Assert.False(unparked.Spec.Template.Spec.NodeSelector?.ContainsKey("flagger.app/scale-to-zero") ?? false);
        await kube.SettleAsync();
        Assert.Equal(before.SpecHash, (await controller.GetRevisionAsync(canary, KubeCluster.Ct)).SpecHash);
    }

    [Fact]
    public async Task Promotion_copies_the_targets_included_labels_and_annotations_to_the_primary()
    {
        await using var kube = await KubeCluster.StartAsync(o => o.IncludeLabelPrefixes.Add("team"));
        await kube.ApplyAsync(Agent.Replace("  namespace: test\n", "  namespace: test\n  labels:\n    team: edge\n", StringComparison.Ordinal));
        await kube.ApplyAsync("""
            apiVersion: flagger.app/v1beta1
            kind: Canary
            metadata:
              name: agent
              namespace: test
            spec:
              targetRef:
                apiVersion: apps/v1
                kind: DaemonSet
                name: agent
              service:
                port: 8080
              analysis:
                interval: 1m
            """);
        await kube.SettleAsync();
        var canary = await kube.CanaryAsync("agent");
        var controller = new DaemonSetController(kube.Client, kube.Cache, kube.Configs, kube.Options, kube.Clock);
        await controller.InitializeAsync(canary, false, KubeCluster.Ct);

        // A new revision relabels the workload: the primary takes the included label and annotation at promotion.
        var target = await kube.Client.AppsV1.ReadNamespacedDaemonSetAsync("agent", "test", cancellationToken: KubeCluster.Ct);
        target.Metadata.Labels["team"] = "platform";
        target.Metadata.Labels["other"] = "left-out";
        target.Metadata.Annotations = new Dictionary<string, string> { ["team/owner"] = "sre" };
        target.Spec.Template.Spec.Containers[0].Image = "example/agent:2.0";
        await kube.Client.AppsV1.ReplaceNamespacedDaemonSetAsync(target, "agent", "test", cancellationToken: KubeCluster.Ct);
        await kube.SettleAsync();
        await controller.PromoteAsync(canary, KubeCluster.Ct);

        var promoted = await kube.Client.AppsV1.ReadNamespacedDaemonSetAsync("agent-primary", "test", cancellationToken: KubeCluster.Ct);
        Assert.Equal("example/agent:2.0", promoted.Spec.Template.Spec.Containers[0].Image);
        Assert.Equal("platform", promoted.Metadata.Labels["team"]);
        Assert.Equal("agent-primary", promoted.Metadata.Labels["name"]);
        Assert.False(promoted.Metadata.Labels.ContainsKey("other"));
        Assert.Equal("sre", promoted.Metadata.Annotations["team/owner"]);
    }
}
