using System.Text.RegularExpressions;
using k8s;
using k8s.Models;

namespace Flagger.Testing.Tests;

/// <summary>The walkthrough's kubectl commands, unchanged, against the embedded server (no --validate=false).</summary>
public sealed class KubectlWalkthroughTests
{
    private static async Task<(EmbeddedCluster Cluster, Kubectl Kubectl)> InstallWalkthroughAsync()
    {
        var cluster = await TestCluster.StartAsync(crds: false);
        var kubectl = new Kubectl(cluster);
        await kubectl.RunAsync("apply", "-f", "deploy/crds/");
        await kubectl.RunAsync("apply", "-f", "deploy/artifacts/namespaces/test.yaml");
        await kubectl.RunAsync("apply", "-f", "deploy/artifacts/canaries/deployment.yaml");
        await kubectl.RunAsync("apply", "-f", "deploy/artifacts/canaries/hpa.yaml");
        await kubectl.RunAsync("-n", "test", "apply", "-f", "deploy/artifacts/loadtester/deployment.yaml");
        await kubectl.RunAsync("-n", "test", "apply", "-f", "deploy/artifacts/loadtester/service.yaml");
        await kubectl.RunAsync("apply", "-f", "deploy/artifacts/canaries/canary.yaml");
        return (cluster, kubectl);
    }

    [Fact]
    public async Task Walkthrough_manifests_apply_after_the_crds_and_reapply_unchanged()
    {
        var (cluster, kubectl) = await InstallWalkthroughAsync();
        await using var _ = cluster;
        using var __ = kubectl;

        var again = await kubectl.RunAsync("apply", "-f", "deploy/artifacts/canaries/canary.yaml");
        Assert.Contains("canary.flagger.app/podinfo unchanged", again, StringComparison.Ordinal);
        again = await kubectl.RunAsync("apply", "-f", "deploy/artifacts/canaries/deployment.yaml");
        Assert.Contains("deployment.apps/podinfo unchanged", again, StringComparison.Ordinal);

        using var client = cluster.CreateClient();
        var canary = await client.CustomObjects.GetNamespacedCustomObjectAsync<System.Text.Json.JsonElement>("flagger.app", "v1alpha3", "test", "canaries", "podinfo", TestCluster.Ct);
        Assert.Equal(50, canary.GetProperty("spec").GetProperty("canaryAnalysis").GetProperty("maxWeight").GetInt32());
        var hpa = await client.AutoscalingV2.ReadNamespacedHorizontalPodAutoscalerAsync("podinfo", "test", cancellationToken: TestCluster.Ct);
        Assert.Equal(2, hpa.Spec.MinReplicas);
        var ns = await client.CoreV1.ReadNamespaceAsync("test", cancellationToken: TestCluster.Ct);
        Assert.Equal("enabled", ns.Metadata.Labels["istio-injection"]);
    }

    [Fact]
    public async Task Get_lists_every_object_when_the_list_comes_in_pages()
    {
        await using var cluster = await TestCluster.StartAsync(crds: false);
        using var kubectl = new Kubectl(cluster);
        using var client = cluster.CreateClient();
        await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "many" } }, cancellationToken: TestCluster.Ct);
        for (var i = 0; i < 250; i++)
        {
            await client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = $"config-{i:000}" } }, "many", cancellationToken: TestCluster.Ct);
        }

        // kubectl reads lists in pages (500 by default; 100 here) and follows the continue token, as a table and as a list.
        var table = await kubectl.RunAsync("-n", "many", "get", "configmaps", "--chunk-size=100");
        var names = await kubectl.RunAsync("-n", "many", "get", "configmaps", "--chunk-size=100", "-o", "name");

        Assert.Equal(250, table.Split('\n').Count(l => l.StartsWith("config-", StringComparison.Ordinal)));
        Assert.Contains("config-249 ", table, StringComparison.Ordinal);
        Assert.Equal(250, names.Split('\n').Count(l => l.StartsWith("configmap/config-", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Get_prints_tables_yaml_and_the_canary_columns()
    {
        var (cluster, kubectl) = await InstallWalkthroughAsync();
        await using var _ = cluster;
        using var __ = kubectl;
        using var client = cluster.CreateClient();
        await WriteCanaryStatusAsync(client, "Progressing", 15);

        var canaries = await kubectl.RunAsync("get", "canaries", "--all-namespaces");
        var lines = canaries.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["NAMESPACE", "NAME", "STATUS", "WEIGHT", "LASTTRANSITIONTIME"], Regex.Split(lines[0].Trim(), @"\s+"));
        Assert.Equal(["test", "podinfo", "Progressing", "15", "2019-01-16T14:05:07Z"], Regex.Split(lines[1].Trim(), @"\s+"));

        var wide = await kubectl.RunAsync("get", "canaries", "-A", "-o", "wide");
        Assert.Contains("FAILEDCHECKS", wide, StringComparison.Ordinal);
        Assert.Contains("STEPWEIGHT", wide, StringComparison.Ordinal);

        var deployments = await kubectl.RunAsync("-n", "test", "get", "deployments");
        Assert.Matches(@"NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE", deployments);
        Assert.Contains("podinfo", deployments, StringComparison.Ordinal);

        var yaml = await kubectl.RunAsync("-n", "test", "get", "deployment", "podinfo", "-o", "yaml");
        Assert.Contains("image: stefanprodan/podinfo:1.4.0", yaml, StringComparison.Ordinal);
        Assert.Contains("resourceVersion:", yaml, StringComparison.Ordinal);

        await cluster.WaitForControllersAsync(TestCluster.Ct);
        var pods = await kubectl.RunAsync("-n", "test", "get", "pods");
        Assert.Matches(@"podinfo-[a-z0-9]+-[a-z0-9]{5}\s+0/1\s+Running", pods);

        var all = await kubectl.RunAsync("-n", "test", "get", "all");
        Assert.Contains("canary.flagger.app/podinfo", all, StringComparison.Ordinal);
        Assert.Contains("service/flagger-loadtester", all, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Describe_canary_shows_its_events()
    {
        var (cluster, kubectl) = await InstallWalkthroughAsync();
        await using var _ = cluster;
        using var __ = kubectl;
        using var client = cluster.CreateClient();
        var canary = await client.CustomObjects.GetNamespacedCustomObjectAsync<System.Text.Json.JsonElement>("flagger.app", "v1beta1", "test", "canaries", "podinfo", TestCluster.Ct);
        var uid = canary.GetProperty("metadata").GetProperty("uid").GetString();
        var reference = new V1ObjectReference { ApiVersion = "flagger.app/v1beta1", Kind = "Canary", Name = "podinfo", NamespaceProperty = "test", Uid = uid };
        await client.CoreV1.CreateNamespacedEventAsync(new Corev1Event
        {
            Metadata = new V1ObjectMeta { Name = "podinfo.1", NamespaceProperty = "test" },
            InvolvedObject = reference,
            Reason = "Synced",
            Message = "New revision detected podinfo.test",
            Type = "Normal",
            Source = new V1EventSource { Component = "flagger" },
        }, "test", cancellationToken: TestCluster.Ct);
        // Unrelated events must not show up.
        await client.CoreV1.CreateNamespacedEventAsync(new Corev1Event
        {
            Metadata = new V1ObjectMeta { Name = "other.1", NamespaceProperty = "test" },
            InvolvedObject = new V1ObjectReference { Kind = "Pod", Name = "other", NamespaceProperty = "test" },
            Reason = "Pulled",
            Message = "unrelated",
        }, "test", cancellationToken: TestCluster.Ct);

        var described = await kubectl.RunAsync("-n", "test", "describe", "canary/podinfo");
        Assert.Matches(@"Normal\s+Synced\s+\S+\s+flagger\s+New revision detected podinfo.test", described);
        Assert.DoesNotContain("unrelated", described, StringComparison.Ordinal);
        Assert.Contains("Canary Analysis:", described, StringComparison.Ordinal);

        var deployment = await kubectl.RunAsync("-n", "test", "describe", "deployment/podinfo");
        Assert.Contains("stefanprodan/podinfo:1.4.0", deployment, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Set_image_set_env_scale_and_delete_change_the_deployment()
    {
        var (cluster, kubectl) = await InstallWalkthroughAsync();
        await using var _ = cluster;
        using var __ = kubectl;
        using var client = cluster.CreateClient();
        var before = await client.AppsV1.ReadNamespacedDeploymentAsync("podinfo", "test", cancellationToken: TestCluster.Ct);

        await kubectl.RunAsync("-n", "test", "set", "image", "deployment/podinfo", "podinfod=stefanprodan/podinfo:1.4.1");
        await kubectl.RunAsync("-n", "test", "set", "env", "deployment/podinfo", "FLAGGER_TESTING_READY_AFTER=5s");
        await kubectl.RunAsync("-n", "test", "scale", "deployment/podinfo", "--replicas=3");

        var after = await client.AppsV1.ReadNamespacedDeploymentAsync("podinfo", "test", cancellationToken: TestCluster.Ct);
        var container = Assert.Single(after.Spec.Template.Spec.Containers);
        Assert.Equal("stefanprodan/podinfo:1.4.1", container.Image);
        Assert.Equal(["PODINFO_UI_COLOR", "FLAGGER_TESTING_READY_AFTER"], container.Env.Select(e => e.Name));
        Assert.Equal(9898, Assert.Single(container.Ports).ContainerPort);
        Assert.Equal(3, after.Spec.Replicas);
        Assert.Equal(before.Metadata.Generation + 3, after.Metadata.Generation);

        var deleted = await kubectl.RunAsync("-n", "test", "delete", "deployment/podinfo");
        Assert.Contains("deployment.apps \"podinfo\" deleted", deleted, StringComparison.Ordinal);
        var (exit, _, error) = await kubectl.TryRunAsync("-n", "test", "get", "deployment/podinfo");
        Assert.NotEqual(0, exit);
        Assert.Contains("NotFound", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Wait_for_condition_promoted_returns_when_the_status_is_written()
    {
        var (cluster, kubectl) = await InstallWalkthroughAsync();
        await using var _ = cluster;
        using var __ = kubectl;
        using var client = cluster.CreateClient();

        var waiting = kubectl.TryRunAsync("-n", "test", "wait", "canary/podinfo", "--for=condition=promoted", "--timeout=20s");
        await Task.Delay(300, TestCluster.Ct);
        Assert.False(waiting.IsCompleted, "wait returned before the condition existed");
        await WriteCanaryStatusAsync(client, "Succeeded", 0);

        var (exit, output, error) = await waiting;
        Assert.True(exit == 0, error);
        Assert.Contains("condition met", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Labels_runs_and_typed_create_commands_work()
    {
        var (cluster, kubectl) = await InstallWalkthroughAsync();
        await using var _ = cluster;
        using var __ = kubectl;

        // The Canary was applied as v1alpha3 without spec.analysis; kubectl now writes it through v1beta1.
        await kubectl.RunAsync("-n", "test", "label", "canary", "podinfo", "tier=web");
        await kubectl.RunAsync("-n", "test", "annotate", "deployment", "podinfo", "note=x");
        // The walkthrough's tester pod, and typed create commands (protobuf bodies).
        await kubectl.RunAsync("-n", "test", "run", "tester", "--image=stefanprodan/podinfo:1.4.0", "--", "./podinfo", "--port=9898");
        await kubectl.RunAsync("create", "namespace", "prod");
        await kubectl.RunAsync("-n", "prod", "create", "configmap", "settings", "--from-literal=color=blue");
        await kubectl.RunAsync("-n", "prod", "create", "secret", "generic", "token", "--from-literal=pw=hunter2");

        using var client = cluster.CreateClient();
        Assert.Equal("blue", (await client.CoreV1.ReadNamespacedConfigMapAsync("settings", "prod", cancellationToken: TestCluster.Ct)).Data["color"]);
        Assert.Equal("hunter2", System.Text.Encoding.UTF8.GetString((await client.CoreV1.ReadNamespacedSecretAsync("token", "prod", cancellationToken: TestCluster.Ct)).Data["pw"]));
        Assert.Equal("Pending", (await client.CoreV1.ReadNamespacedPodAsync("tester", "test", cancellationToken: TestCluster.Ct)).Status.Phase);
        var labels = await kubectl.RunAsync("-n", "test", "get", "canary", "podinfo", "-o", "jsonpath={.metadata.labels.tier}");
        Assert.Equal("web", labels);
    }

    private static async Task WriteCanaryStatusAsync(IKubernetes client, string phase, int weight)
    {
        var patch = new
        {
            status = new
            {
                phase,
                canaryWeight = weight,
                failedChecks = 0,
                lastTransitionTime = "2019-01-16T14:05:07Z",
                conditions = new[]
                {
                    new { type = "Promoted", status = phase == "Succeeded" ? "True" : "Unknown", reason = phase, message = "written by the test" },
                },
            },
        };
        await client.CustomObjects.PatchNamespacedCustomObjectStatusAsync(new V1Patch(patch, V1Patch.PatchType.MergePatch),
            "flagger.app", "v1beta1", "test", "canaries", "podinfo", cancellationToken: TestCluster.Ct);
    }
}
