using k8s;
using k8s.Models;
using Microsoft.Extensions.Time.Testing;

namespace Flagger.Testing.Tests;

/// <summary>The simulated controller-manager, driven with virtual time.</summary>
public sealed class ControllerManagerTests
{
    private static V1Deployment Deployment(string name, int? replicas = 1, params V1EnvVar[] env) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new V1DeploymentSpec
        {
            Replicas = replicas,
            ProgressDeadlineSeconds = 60,
            Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = name } },
            Template = new V1PodTemplateSpec
            {
                Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { ["app"] = name } },
                Spec = new V1PodSpec { Containers = [new V1Container { Name = "app", Image = "podinfo:1", Env = [.. env] }] },
            },
        },
    };

    private static async Task<V1Deployment> SettledAsync(EmbeddedCluster cluster, IKubernetes client, string name)
    {
        await cluster.WaitForControllersAsync(TestCluster.Ct);
        return await client.AppsV1.ReadNamespacedDeploymentAsync(name, "default", cancellationToken: TestCluster.Ct);
    }

    private static V1DeploymentCondition Condition(V1Deployment d, string type) => d.Status.Conditions.Single(c => c.Type == type);

    [Fact]
    public async Task Deployment_becomes_available_after_the_rollout_delay()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-01-16T14:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        await using var cluster = await TestCluster.StartAsync(time);
        using var client = cluster.CreateClient();
        await client.AppsV1.CreateNamespacedDeploymentAsync(Deployment("podinfo", 2), "default", cancellationToken: TestCluster.Ct);

        var starting = await SettledAsync(cluster, client, "podinfo");
        Assert.Equal(1, starting.Status.ObservedGeneration);
        Assert.Equal(2, starting.Status.UpdatedReplicas);
        Assert.Null(starting.Status.AvailableReplicas);
        Assert.Equal(("True", "ReplicaSetUpdated"), (Condition(starting, "Progressing").Status, Condition(starting, "Progressing").Reason));
        Assert.Equal(("False", "MinimumReplicasUnavailable"), (Condition(starting, "Available").Status, Condition(starting, "Available").Reason));

        time.Advance(TimeSpan.FromSeconds(1));
        var ready = await SettledAsync(cluster, client, "podinfo");
        Assert.Equal((2, 2, 2), (ready.Status.Replicas, ready.Status.ReadyReplicas, ready.Status.AvailableReplicas));
        Assert.Equal(("True", "NewReplicaSetAvailable"), (Condition(ready, "Progressing").Status, Condition(ready, "Progressing").Reason));
        Assert.Equal(("True", "MinimumReplicasAvailable"), (Condition(ready, "Available").Status, Condition(ready, "Available").Reason));
        Assert.Matches("^ReplicaSet \"podinfo-[a-z0-9]+\" has successfully progressed.$", Condition(ready, "Progressing").Message);
        var pods = (await client.CoreV1.ListNamespacedPodAsync("default", labelSelector: "app=podinfo", cancellationToken: TestCluster.Ct)).Items;
        Assert.Equal(2, pods.Count);
        Assert.All(pods, p => Assert.Equal(("Running", "True"), (p.Status.Phase, p.Status.Conditions.Single(c => c.Type == "Ready").Status)));

        // A new revision makes the new pods unavailable again until they start.
        await client.AppsV1.PatchNamespacedDeploymentAsync(new V1Patch("""{"spec":{"template":{"spec":{"containers":[{"name":"app","image":"podinfo:2"}]}}}}""", V1Patch.PatchType.StrategicMergePatch), "podinfo", "default", cancellationToken: TestCluster.Ct);
        var rolling = await SettledAsync(cluster, client, "podinfo");
        Assert.Equal(2, rolling.Status.ObservedGeneration);
        Assert.Null(rolling.Status.AvailableReplicas);
        var replaced = (await client.CoreV1.ListNamespacedPodAsync("default", labelSelector: "app=podinfo", cancellationToken: TestCluster.Ct)).Items;
        Assert.Equal(2, replaced.Count);
        Assert.DoesNotContain(replaced, p => pods.Any(old => old.Metadata.Name == p.Metadata.Name));
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(2, (await SettledAsync(cluster, client, "podinfo")).Status.AvailableReplicas);

        await client.AppsV1.DeleteNamespacedDeploymentAsync("podinfo", "default", cancellationToken: TestCluster.Ct);
        Assert.Empty((await client.CoreV1.ListNamespacedPodAsync("default", labelSelector: "app=podinfo", cancellationToken: TestCluster.Ct)).Items);
    }

    [Fact]
    public async Task Never_ready_pods_exceed_the_progress_deadline()
    {
        var time = new FakeTimeProvider();
        await using var cluster = await TestCluster.StartAsync(time);
        using var client = cluster.CreateClient();
        await client.AppsV1.CreateNamespacedDeploymentAsync(Deployment("broken", 1, new V1EnvVar { Name = "FLAGGER_TESTING_NEVER_READY", Value = "true" }), "default", cancellationToken: TestCluster.Ct);

        time.Advance(TimeSpan.FromSeconds(59));
        var waiting = await SettledAsync(cluster, client, "broken");
        Assert.Equal("ReplicaSetUpdated", Condition(waiting, "Progressing").Reason);

        time.Advance(TimeSpan.FromSeconds(1));
        var stuck = await SettledAsync(cluster, client, "broken");
        Assert.Equal(("False", "ProgressDeadlineExceeded"), (Condition(stuck, "Progressing").Status, Condition(stuck, "Progressing").Reason));
        Assert.Null(stuck.Status.ReadyReplicas);
    }

    [Fact]
    public async Task Pod_template_knobs_set_the_ready_delay_and_an_immediate_deadline()
    {
        var time = new FakeTimeProvider();
        await using var cluster = await TestCluster.StartAsync(time);
        using var client = cluster.CreateClient();
        await client.AppsV1.CreateNamespacedDeploymentAsync(Deployment("slow", 1, new V1EnvVar { Name = "FLAGGER_TESTING_READY_AFTER", Value = "30s" }), "default", cancellationToken: TestCluster.Ct);
        await client.AppsV1.CreateNamespacedDeploymentAsync(Deployment("doomed", 1, new V1EnvVar { Name = "FLAGGER_TESTING_PROGRESS_DEADLINE_EXCEEDED", Value = "true" }), "default", cancellationToken: TestCluster.Ct);

        time.Advance(TimeSpan.FromSeconds(29));
        Assert.Null((await SettledAsync(cluster, client, "slow")).Status.ReadyReplicas);
        Assert.Equal("ProgressDeadlineExceeded", Condition(await SettledAsync(cluster, client, "doomed"), "Progressing").Reason);
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, (await SettledAsync(cluster, client, "slow")).Status.ReadyReplicas);
    }

    [Fact]
    public async Task Scaling_to_zero_leaves_nothing_running_at_once()
    {
        await using var cluster = await TestCluster.StartAsync();
        using var client = cluster.CreateClient();
        await client.AppsV1.CreateNamespacedDeploymentAsync(Deployment("idle", 0), "default", cancellationToken: TestCluster.Ct);
        var idle = await SettledAsync(cluster, client, "idle");
        Assert.Equal(1, idle.Status.ObservedGeneration);
        Assert.Null(idle.Status.Replicas);
        Assert.Equal("True", Condition(idle, "Available").Status);
    }

    [Fact]
    public async Task Hpa_keeps_its_target_within_min_replicas_but_leaves_zero_alone()
    {
        await using var cluster = await TestCluster.StartAsync();
        using var client = cluster.CreateClient();
        await client.AppsV1.CreateNamespacedDeploymentAsync(Deployment("podinfo", 1), "default", cancellationToken: TestCluster.Ct);
        await client.AppsV1.CreateNamespacedDeploymentAsync(Deployment("parked", 0), "default", cancellationToken: TestCluster.Ct);
        foreach (var target in new[] { "podinfo", "parked" })
        {
            await client.AutoscalingV2.CreateNamespacedHorizontalPodAutoscalerAsync(new V2HorizontalPodAutoscaler
            {
                Metadata = new V1ObjectMeta { Name = target },
                Spec = new V2HorizontalPodAutoscalerSpec
                {
                    MinReplicas = 2,
                    MaxReplicas = 4,
                    ScaleTargetRef = new V2CrossVersionObjectReference { ApiVersion = "apps/v1", Kind = "Deployment", Name = target },
                },
            }, "default", cancellationToken: TestCluster.Ct);
        }

        Assert.Equal(2, (await SettledAsync(cluster, client, "podinfo")).Spec.Replicas);
        Assert.Equal(0, (await SettledAsync(cluster, client, "parked")).Spec.Replicas);
        var hpa = await client.AutoscalingV2.ReadNamespacedHorizontalPodAutoscalerAsync("podinfo", "default", cancellationToken: TestCluster.Ct);
        Assert.Equal(2, hpa.Status.DesiredReplicas);
        // The real controller's three conditions (clients require them); with no metrics API scaling is never active.
        Assert.Equal(
            [("AbleToScale", "True", "SucceededGetScale"), ("ScalingActive", "False", "FailedGetResourceMetric"), ("ScalingLimited", "False", "DesiredWithinRange")],
            hpa.Status.Conditions.Select(c => (c.Type, c.Status, c.Reason)));
        Assert.All(hpa.Status.Conditions, c => Assert.NotNull(c.LastTransitionTime));
        var parked = await client.AutoscalingV2.ReadNamespacedHorizontalPodAutoscalerAsync("parked", "default", cancellationToken: TestCluster.Ct);
        Assert.Equal(("False", "ScalingDisabled"), (parked.Status.Conditions[1].Status, parked.Status.Conditions[1].Reason));
    }

    [Fact]
    public async Task DaemonSet_schedules_on_matching_nodes_only()
    {
        var time = new FakeTimeProvider();
        await using var cluster = await EmbeddedCluster.StartAsync(new EmbeddedClusterOptions { TimeProvider = time, NodeCount = 3 }, TestCluster.Ct);
        using var client = cluster.CreateClient();
        V1DaemonSet DaemonSet(string name, Dictionary<string, string>? nodeSelector) => new()
        {
            Metadata = new V1ObjectMeta { Name = name },
            Spec = new V1DaemonSetSpec
            {
                Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = name } },
                Template = new V1PodTemplateSpec
                {
                    Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { ["app"] = name } },
                    Spec = new V1PodSpec { NodeSelector = nodeSelector, Containers = [new V1Container { Name = "app", Image = "x" }] },
                },
            },
        };
        await client.AppsV1.CreateNamespacedDaemonSetAsync(DaemonSet("everywhere", null), "default", cancellationToken: TestCluster.Ct);
        await client.AppsV1.CreateNamespacedDaemonSetAsync(DaemonSet("parked", new() { ["flagger.app/scale-to-zero"] = "true" }), "default", cancellationToken: TestCluster.Ct);
        time.Advance(TimeSpan.FromSeconds(1));
        await cluster.WaitForControllersAsync(TestCluster.Ct);

        var everywhere = await client.AppsV1.ReadNamespacedDaemonSetAsync("everywhere", "default", cancellationToken: TestCluster.Ct);
        Assert.Equal((3, 3, 3), (everywhere.Status.DesiredNumberScheduled, everywhere.Status.NumberReady, everywhere.Status.UpdatedNumberScheduled));
        var parked = await client.AppsV1.ReadNamespacedDaemonSetAsync("parked", "default", cancellationToken: TestCluster.Ct);
        Assert.Equal(0, parked.Status.DesiredNumberScheduled);
        Assert.Equal(3, (await client.CoreV1.ListNodeAsync(cancellationToken: TestCluster.Ct)).Items.Count);
    }
}
