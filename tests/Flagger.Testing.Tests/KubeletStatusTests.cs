using System.Globalization;
using System.Text.Json.Nodes;
using Flagger.Testing.Simulation;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Time.Testing;

namespace Flagger.Testing.Tests;

/// <summary>Pod and container status as a kubelet fills them, read through the real KubernetesClient, on virtual time.</summary>
public sealed class KubeletStatusTests
{
    private static readonly DateTimeOffset Start = DateTimeOffset.Parse("2026-01-16T14:00:00Z", CultureInfo.InvariantCulture);

    private static V1Deployment Deployment(string name, int replicas, V1ResourceRequirements? resources = null) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new V1DeploymentSpec
        {
            Replicas = replicas,
            Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = name } },
            Template = new V1PodTemplateSpec
            {
                Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { ["app"] = name } },
                Spec = new V1PodSpec
                {
                    // Init containers count for the QoS class too.
                    InitContainers = [new V1Container { Name = "init", Image = "busybox:1.36", Resources = resources }],
                    Containers = [new V1Container { Name = "app", Image = "ghcr.io/stefanprodan/podinfo:6.0.0", Resources = resources }],
                },
            },
        },
    };

    private static async Task<IList<V1Pod>> PodsAsync(EmbeddedCluster cluster, IKubernetes client, string app)
    {
        await cluster.WaitForControllersAsync(TestCluster.Ct);
        return [.. (await client.CoreV1.ListNamespacedPodAsync("default", labelSelector: $"app={app}", cancellationToken: TestCluster.Ct)).Items.OrderBy(p => p.Metadata.Name, StringComparer.Ordinal)];
    }

    private static V1PodCondition Condition(V1Pod pod, string type) => pod.Status.Conditions.Single(c => c.Type == type);

    [Fact]
    public async Task Running_pods_report_what_a_kubelet_reports()
    {
        await using var cluster = await TestCluster.StartAsync(new FakeTimeProvider(Start));
        using var client = cluster.CreateClient();
        var guaranteed = new V1ResourceRequirements
        {
            Requests = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("1"), ["memory"] = new("64Mi") },
            Limits = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("1000m"), ["memory"] = new("64Mi") },
        };
        await client.AppsV1.CreateNamespacedDeploymentAsync(Deployment("podinfo", 2, guaranteed), "default", cancellationToken: TestCluster.Ct);

        var pods = await PodsAsync(cluster, client, "podinfo");

        Assert.Equal(2, pods.Count);
        foreach (var pod in pods)
        {
            var status = pod.Status;
            var container = Assert.Single(status.ContainerStatuses);
            Assert.Equal(KubeletStatus.ImageId("ghcr.io/stefanprodan/podinfo:6.0.0"), container.ImageID);
            Assert.Matches("^ghcr.io/stefanprodan/podinfo@sha256:[0-9a-f]{64}$", container.ImageID);
            Assert.Matches("^containerd://[0-9a-f]{64}$", container.ContainerID);
            Assert.Equal("Guaranteed", status.QosClass);
            Assert.Equal("10.0.0.1", status.HostIP);
            Assert.Equal([status.HostIP], status.HostIPs.Select(h => h.Ip));
            Assert.Matches(@"^10\.244\.0\.\d+$", status.PodIP);
            Assert.Equal([status.PodIP], status.PodIPs.Select(p => p.Ip));
            Assert.Equal(["Initialized", "Ready", "ContainersReady", "PodScheduled"], status.Conditions.Select(c => c.Type));
            Assert.All(status.Conditions, c => Assert.NotNull(c.LastTransitionTime));
            var init = Assert.Single(status.InitContainerStatuses);
            Assert.Equal(("Completed", 0), (init.State.Terminated.Reason, init.State.Terminated.ExitCode));
            Assert.Matches("^busybox@sha256:[0-9a-f]{64}$", init.ImageID);
        }

        Assert.NotEqual(pods[0].Status.ContainerStatuses[0].ContainerID, pods[1].Status.ContainerStatuses[0].ContainerID);
        Assert.Equal(pods[0].Status.ContainerStatuses[0].ImageID, pods[1].Status.ContainerStatuses[0].ImageID);
    }

    [Fact]
    public async Task Condition_transition_times_move_only_when_the_condition_flips()
    {
        var time = new FakeTimeProvider(Start);
        await using var cluster = await TestCluster.StartAsync(time);
        using var client = cluster.CreateClient();
        await client.AppsV1.CreateNamespacedDeploymentAsync(Deployment("podinfo", 1), "default", cancellationToken: TestCluster.Ct);

        var starting = Assert.Single(await PodsAsync(cluster, client, "podinfo"));
        Assert.Equal(("False", "ContainersNotReady", Start.UtcDateTime), (Condition(starting, "Ready").Status, Condition(starting, "Ready").Reason, Condition(starting, "Ready").LastTransitionTime));
        Assert.Equal("containers with unready status: [app]", Condition(starting, "ContainersReady").Message);
        Assert.False(starting.Status.ContainerStatuses[0].Ready);

        time.Advance(TimeSpan.FromSeconds(1));
        var ready = Assert.Single(await PodsAsync(cluster, client, "podinfo"));
        Assert.Equal(("True", Start.UtcDateTime.AddSeconds(1)), (Condition(ready, "Ready").Status, Condition(ready, "Ready").LastTransitionTime));
        Assert.Equal(("True", Start.UtcDateTime.AddSeconds(1)), (Condition(ready, "ContainersReady").Status, Condition(ready, "ContainersReady").LastTransitionTime));
        Assert.Equal(Start.UtcDateTime, Condition(ready, "PodScheduled").LastTransitionTime);
        Assert.Equal(Start.UtcDateTime, Condition(ready, "Initialized").LastTransitionTime);
        Assert.Equal(starting.Status.ContainerStatuses[0].ContainerID, ready.Status.ContainerStatuses[0].ContainerID);

        // Scaling up re-syncs every pod; the ready one keeps its status (not even rewritten) and its times.
        time.Advance(TimeSpan.FromMinutes(5));
        await client.AppsV1.PatchNamespacedDeploymentScaleAsync(new V1Patch("""{"spec":{"replicas":2}}""", V1Patch.PatchType.MergePatch), "podinfo", "default", cancellationToken: TestCluster.Ct);
        var scaled = await PodsAsync(cluster, client, "podinfo");
        Assert.Equal(2, scaled.Count);
        var kept = scaled.Single(p => p.Metadata.Name == ready.Metadata.Name);
        Assert.Equal(ready.Metadata.ResourceVersion, kept.Metadata.ResourceVersion);
        var added = scaled.Single(p => p.Metadata.Name != ready.Metadata.Name);
        Assert.Equal(("False", Start.UtcDateTime.AddSeconds(301)), (Condition(added, "Ready").Status, Condition(added, "Ready").LastTransitionTime));
    }

    [Fact]
    public async Task A_pod_created_directly_reports_the_same_status_once_started()
    {
        var time = new FakeTimeProvider(Start);
        await using var cluster = await TestCluster.StartAsync(time);
        using var client = cluster.CreateClient();
        await client.CoreV1.CreateNamespacedPodAsync(new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = "tester" },
            Spec = new V1PodSpec { Containers = [new V1Container { Name = "tester", Image = "curlimages/curl:8.5.0", Resources = new V1ResourceRequirements { Requests = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("10m") } } }] },
        }, "default", cancellationToken: TestCluster.Ct);
        await cluster.WaitForControllersAsync(TestCluster.Ct);
        time.Advance(TimeSpan.FromSeconds(1));
        await cluster.WaitForControllersAsync(TestCluster.Ct);

        var pod = await client.CoreV1.ReadNamespacedPodAsync("tester", "default", cancellationToken: TestCluster.Ct);

        Assert.Equal("Running", pod.Status.Phase);
        Assert.Equal("Burstable", pod.Status.QosClass);
        Assert.Equal("node-0", pod.Spec.NodeName);
        Assert.Equal(("True", Start.UtcDateTime.AddSeconds(1)), (Condition(pod, "Ready").Status, Condition(pod, "Ready").LastTransitionTime));
        Assert.Equal(Start.UtcDateTime, Condition(pod, "PodScheduled").LastTransitionTime);
        Assert.StartsWith("curlimages/curl@sha256:", pod.Status.ContainerStatuses[0].ImageID, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Changing_a_pods_image_restarts_its_container_and_moves_readiness_twice()
    {
        var time = new FakeTimeProvider(Start);
        await using var cluster = await TestCluster.StartAsync(time);
        using var client = cluster.CreateClient();
        using var kubectl = new Kubectl(cluster);
        await kubectl.RunAsync("run", "tester", "--image=curlimages/curl:8.5.0", "--", "sleep", "infinity");
        await cluster.WaitForControllersAsync(TestCluster.Ct);
        time.Advance(TimeSpan.FromSeconds(1));
        await cluster.WaitForControllersAsync(TestCluster.Ct);
        var before = await client.CoreV1.ReadNamespacedPodAsync("tester", "default", cancellationToken: TestCluster.Ct);

        time.Advance(TimeSpan.FromMinutes(1));
        await kubectl.RunAsync("set", "image", "pod/tester", "tester=curlimages/curl:8.6.0");
        await cluster.WaitForControllersAsync(TestCluster.Ct);
        var restarting = await client.CoreV1.ReadNamespacedPodAsync("tester", "default", cancellationToken: TestCluster.Ct);
        time.Advance(TimeSpan.FromSeconds(1));
        await cluster.WaitForControllersAsync(TestCluster.Ct);
        var restarted = await client.CoreV1.ReadNamespacedPodAsync("tester", "default", cancellationToken: TestCluster.Ct);

        var old = before.Status.ContainerStatuses[0];
        var now = restarting.Status.ContainerStatuses[0];
        Assert.Equal((0, 1), (old.RestartCount, now.RestartCount));
        Assert.NotEqual(old.ContainerID, now.ContainerID);
        Assert.Equal(old.ContainerID, now.LastState.Terminated.ContainerID);
        Assert.Equal(KubeletStatus.ImageId("curlimages/curl:8.6.0"), now.ImageID);
        Assert.Equal(Start.UtcDateTime.AddSeconds(61), now.State.Running.StartedAt);
        Assert.Equal(("False", Start.UtcDateTime.AddSeconds(61)), (Condition(restarting, "Ready").Status, Condition(restarting, "Ready").LastTransitionTime));
        Assert.Equal(("True", Start.UtcDateTime.AddSeconds(62)), (Condition(restarted, "Ready").Status, Condition(restarted, "Ready").LastTransitionTime));
        Assert.Equal(now.ContainerID, restarted.Status.ContainerStatuses[0].ContainerID);
        Assert.Equal(Condition(before, "PodScheduled").LastTransitionTime, Condition(restarted, "PodScheduled").LastTransitionTime);
        Assert.Matches(@"(?m)^tester\s+1/1\s+Running\s+1\s", await kubectl.RunAsync("get", "pods"));
    }

    [Fact]
    public async Task Nodes_report_their_address_and_system_info()
    {
        await using var cluster = await EmbeddedCluster.StartAsync(new EmbeddedClusterOptions { NodeCount = 2 }, TestCluster.Ct);
        using var client = cluster.CreateClient();

        var nodes = (await client.CoreV1.ListNodeAsync(cancellationToken: TestCluster.Ct)).Items.OrderBy(n => n.Metadata.Name, StringComparer.Ordinal).ToList();

        Assert.Equal(["10.0.0.1", "10.0.0.2"], nodes.Select(n => n.Status.Addresses.Single(a => a.Type == "InternalIP").Address));
        var info = nodes[0].Status.NodeInfo;
        Assert.All(new[] { info.KubeletVersion, info.KubeProxyVersion, info.ContainerRuntimeVersion, info.OsImage, info.KernelVersion, info.MachineID, info.SystemUUID, info.BootID }, Assert.NotEmpty);
        Assert.NotEqual(info.MachineID, nodes[1].Status.NodeInfo.MachineID);
    }

    [Theory]
    [InlineData("""[{"name":"a"}]""", "BestEffort")]
    [InlineData("""[{"name":"a","resources":{"requests":{"cpu":"100m"}}}]""", "Burstable")]
    [InlineData("""[{"name":"a","resources":{"limits":{"cpu":"1","memory":"1Gi"}}}]""", "Guaranteed")]
    [InlineData("""[{"name":"a","resources":{"requests":{"cpu":"1","memory":"1024Mi"},"limits":{"cpu":"1000m","memory":"1Gi"}}}]""", "Guaranteed")]
    [InlineData("""[{"name":"a","resources":{"requests":{"cpu":"500m","memory":"1Gi"},"limits":{"cpu":"1","memory":"1Gi"}}}]""", "Burstable")]
    [InlineData("""[{"name":"a","resources":{"limits":{"cpu":"1","memory":"1Gi"}}},{"name":"b"}]""", "Burstable")]
    [InlineData("""[{"name":"a","resources":{"limits":{"ephemeral-storage":"1Gi"}}}]""", "BestEffort")]
    public void Qos_class_follows_requests_and_limits_of_cpu_and_memory(string containers, string expected)
    {
        var list = JsonNode.Parse(containers)!.AsArray().Select(c => c!.AsObject()).ToList();

        Assert.Equal(expected, KubeletStatus.QosClass(list));
    }

    [Theory]
    [InlineData("podinfo:1", "podinfo@sha256:")]
    [InlineData("registry.local:5000/team/app:2", "registry.local:5000/team/app@sha256:")]
    [InlineData("registry.local:5000/team/app", "registry.local:5000/team/app@sha256:")]
    public void Image_ids_are_a_stable_digest_of_the_reference(string image, string prefix)
    {
        Assert.StartsWith(prefix, KubeletStatus.ImageId(image), StringComparison.Ordinal);
        Assert.Equal(KubeletStatus.ImageId(image), KubeletStatus.ImageId(image));
        Assert.NotEqual(KubeletStatus.ImageId(image), KubeletStatus.ImageId(image + "-other"));
        Assert.Equal("app@sha256:" + new string('a', 64), KubeletStatus.ImageId("app@sha256:" + new string('a', 64)));
    }
}
