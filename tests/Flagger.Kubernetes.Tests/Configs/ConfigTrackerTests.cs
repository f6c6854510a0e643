using Flagger.Kubernetes.Targets;
using k8s;
using k8s.Models;

namespace Flagger.Kubernetes.Configs;

public sealed class ConfigTrackerTests
{

    // The embedded server stores stringData as written (no conversion to data), so the secrets carry data.
    private static async Task<KubeCluster> StartAsync(string volumesAndEnvPatch)
    {
        var kube = await KubeCluster.StartAsync();
        await kube.ApplyAsync("""
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: app-env
              namespace: test
            data:
              LEVEL: info
            """);
        await kube.ApplyAsync("""
            apiVersion: v1
            kind: Secret
            metadata:
              name: app-token
              namespace: test
            type: Opaque
            data:
              token: czNjcjN0
            """);
        await kube.ApplyAsync("""
            apiVersion: v1
            kind: Secret
            metadata:
              name: registry
              namespace: test
            type: kubernetes.io/dockerconfigjson
            data:
              .dockerconfigjson: e30=
            """);
        await kube.ApplyAsync("""
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: untracked
              namespace: test
              annotations:
                flagger.app/config-tracking: disabled
            data:
              a: b
            """);
        await kube.ApplyWalkthroughAsync(hpa: false);
        await kube.PatchDeploymentAsync("podinfo", volumesAndEnvPatch);
        await kube.SettleAsync();
        return kube;
    }

    private const string References = """
        {"spec":{"template":{"spec":{
          "volumes":[
            {"name":"projected","projected":{"sources":[{"secret":{"name":"app-token"}},{"configMap":{"name":"untracked"}}]}},
            {"name":"registry","secret":{"secretName":"registry"}},
            {"name":"maybe","configMap":{"name":"absent","optional":true}}],
          "initContainers":[{"name":"init","image":"busybox","env":[{"name":"LEVEL","valueFrom":{"configMapKeyRef":{"name":"app-env","key":"LEVEL"}}}]}],
          "containers":[{"name":"podinfod","envFrom":[{"secretRef":{"name":"app-token"}}]}]}}}}
        """;

    [Fact]
    public async Task Tracks_referenced_configs_but_not_opted_out_or_registry_secrets_or_missing_optional_ones()
    {
        await using var kube = await StartAsync(References);
        var canary = await kube.CanaryAsync();
        var revision = await new DeploymentController(kube.Client, kube.Cache, kube.Configs, kube.Options, kube.Clock).GetRevisionAsync(canary, KubeCluster.Ct);

        Assert.Equal(["configmap/app-env", "secret/app-token"], revision.TrackedConfigs.Keys.Order());
        Assert.All(revision.TrackedConfigs.Values, v => Assert.Matches("^[0-9a-f]{16}$", v));
    }

    [Fact]
    public async Task A_ConfigMap_edit_alone_starts_a_new_revision()
    {
        await using var kube = await StartAsync(References);
        var canary = await kube.CanaryAsync();
        var controller = new DeploymentController(kube.Client, kube.Cache, kube.Configs, kube.Options, kube.Clock);
        var before = await controller.GetRevisionAsync(canary, KubeCluster.Ct);

        await kube.Client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch("""{"data":{"LEVEL":"debug"}}""", V1Patch.PatchType.MergePatch), "app-env", "test", cancellationToken: KubeCluster.Ct);
        await kube.SettleAsync();
        var after = await controller.GetRevisionAsync(canary, KubeCluster.Ct);

        Assert.Equal(before.SpecHash, after.SpecHash);
        Assert.NotEqual(before.TrackedConfigs["configmap/app-env"], after.TrackedConfigs["configmap/app-env"]);
        Assert.Equal(before.TrackedConfigs["secret/app-token"], after.TrackedConfigs["secret/app-token"]);
    }

    [Fact]
    public async Task The_primary_uses_primary_copies_including_projected_secrets_and_init_containers()
    {
        await using var kube = await StartAsync(References);
        var canary = await kube.CanaryAsync();

        await new DeploymentController(kube.Client, kube.Cache, kube.Configs, kube.Options, kube.Clock).InitializeAsync(canary, false, KubeCluster.Ct);

        var secret = await kube.Client.CoreV1.ReadNamespacedSecretAsync("app-token-primary", "test", cancellationToken: KubeCluster.Ct);
        Assert.Equal("s3cr3t", System.Text.Encoding.UTF8.GetString(secret.Data["token"]));
        Assert.Equal("Canary", Assert.Single(secret.Metadata.OwnerReferences).Kind);
        Assert.Equal("info", (await kube.Client.CoreV1.ReadNamespacedConfigMapAsync("app-env-primary", "test", cancellationToken: KubeCluster.Ct)).Data["LEVEL"]);
        var spec = (await kube.DeploymentAsync("podinfo-primary")).Spec.Template.Spec;
        var projected = spec.Volumes.Single(v => v.Name == "projected").Projected.Sources;
        Assert.Equal("app-token-primary", projected[0].Secret.Name);
        Assert.Equal("untracked", projected[1].ConfigMap.Name);
        Assert.Equal("registry", spec.Volumes.Single(v => v.Name == "registry").Secret.SecretName);
        Assert.Equal("absent", spec.Volumes.Single(v => v.Name == "maybe").ConfigMap.Name);
        Assert.Equal("app-env-primary", spec.InitContainers[0].Env[0].ValueFrom.ConfigMapKeyRef.Name);
        Assert.Equal("app-token-primary", spec.Containers[0].EnvFrom[0].SecretRef.Name);
        await Assert.ThrowsAsync<k8s.Autorest.HttpOperationException>(() => kube.Client.CoreV1.ReadNamespacedConfigMapAsync("untracked-primary", "test", cancellationToken: KubeCluster.Ct));
    }

    [Fact]
    public async Task A_missing_mandatory_reference_fails_and_tracking_can_be_switched_off()
    {
        await using var kube = await StartAsync("""{"spec":{"template":{"spec":{"containers":[{"name":"podinfod","envFrom":[{"configMapRef":{"name":"nope"}}]}]}}}}""");
        var canary = await kube.CanaryAsync();
        var controller = new DeploymentController(kube.Client, kube.Cache, kube.Configs, kube.Options, kube.Clock);
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => controller.GetRevisionAsync(canary, KubeCluster.Ct));
        Assert.Equal("configmap test/nope not found", error.Message);

        kube.Options.Value.EnableConfigTracking = false;
        Assert.Empty((await controller.GetRevisionAsync(canary, KubeCluster.Ct)).TrackedConfigs);
    }

    [Fact]
    public async Task Only_referenced_configs_are_read_once_each_and_again_only_after_they_change()
    {
        await using var kube = await StartAsync(References);
        for (var i = 0; i < 20; i++)
        {
            await kube.Client.CoreV1.CreateNamespacedSecretAsync(new V1Secret { Metadata = new V1ObjectMeta { Name = $"unrelated-{i}" }, Data = new Dictionary<string, byte[]> { ["v"] = [(byte)i] } }, "test", cancellationToken: KubeCluster.Ct);
        }

        await kube.SettleAsync();
        var reads = Requests(kube, r => r is { Verb: "get", Resource: "secrets" or "configmaps" } ? $"{r.Resource}/{r.Name}" : null);
        var canary = await kube.CanaryAsync();
        var controller = new DeploymentController(kube.Client, kube.Cache, kube.Configs, kube.Options, kube.Clock);

        var first = await controller.GetRevisionAsync(canary, KubeCluster.Ct);
        Assert.Equal(["configmaps/app-env", "secrets/app-token", "secrets/registry"], reads.Order());

        // An idle canary: nothing changed, nothing is read.
        var again = await controller.GetRevisionAsync(canary, KubeCluster.Ct);
        Assert.Equal(3, reads.Count);
        Assert.Equal(first.TrackedConfigs, again.TrackedConfigs);

        var token = await kube.Client.CoreV1.PatchNamespacedSecretAsync(new V1Patch("""{"data":{"token":"bmV3"}}""", V1Patch.PatchType.MergePatch), "app-token", "test", cancellationToken: KubeCluster.Ct);
        var unrelated = await kube.Client.CoreV1.PatchNamespacedSecretAsync(new V1Patch("""{"data":{"v":"AQ=="}}""", V1Patch.PatchType.MergePatch), "unrelated-3", "test", cancellationToken: KubeCluster.Ct);
        await WaitForAsync(() => kube.Cache.Secrets.Get("test", "app-token")?.ResourceVersion == token.Metadata.ResourceVersion
            && kube.Cache.Secrets.Get("test", "unrelated-3")?.ResourceVersion == unrelated.Metadata.ResourceVersion);
        var changed = await controller.GetRevisionAsync(canary, KubeCluster.Ct);

        Assert.Equal(["configmaps/app-env", "secrets/app-token", "secrets/app-token", "secrets/registry"], reads.Order());
        Assert.NotEqual(first.TrackedConfigs["secret/app-token"], changed.TrackedConfigs["secret/app-token"]);
        Assert.Equal(first.TrackedConfigs["configmap/app-env"], changed.TrackedConfigs["configmap/app-env"]);
        Assert.DoesNotContain(reads, r => r.Contains("unrelated", StringComparison.Ordinal));
        Assert.Equal(3, kube.Configs.ContentsHeld);
    }

    [Fact]
    public async Task A_config_deleted_after_it_was_read_is_forgotten_and_reported_missing()
    {
        await using var kube = await StartAsync(References);
        var canary = await kube.CanaryAsync();
        var controller = new DeploymentController(kube.Client, kube.Cache, kube.Configs, kube.Options, kube.Clock);
        await controller.GetRevisionAsync(canary, KubeCluster.Ct);
        Assert.Equal(3, kube.Configs.ContentsHeld);

        await kube.Client.CoreV1.DeleteNamespacedConfigMapAsync("app-env", "test", cancellationToken: KubeCluster.Ct);
        await WaitForAsync(() => kube.Cache.ConfigMaps.Get("test", "app-env") is null);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => controller.GetRevisionAsync(canary, KubeCluster.Ct));
        Assert.Equal("configmap test/app-env not found", error.Message);
        Assert.Equal(2, kube.Configs.ContentsHeld);
    }

    [Fact]
    public async Task A_config_read_the_API_server_refuses_fails_the_revision_and_nothing_of_it_is_kept()
    {
        await using var kube = await StartAsync(References);
        var canary = await kube.CanaryAsync();
        var controller = new DeploymentController(kube.Client, kube.Cache, kube.Configs, kube.Options, kube.Clock);
        kube.Cluster.Faults.FailRequests(1.0, 500, r => r is { Verb: "get", Resource: "secrets", Name: "app-token" });

        var error = await Assert.ThrowsAsync<k8s.Autorest.HttpOperationException>(() => controller.GetRevisionAsync(canary, KubeCluster.Ct));
        Assert.Equal(System.Net.HttpStatusCode.InternalServerError, error.Response.StatusCode);
        Assert.Equal(0, kube.Configs.ContentsHeld); // the Secret is the spec's first reference: nothing was kept of it

        kube.Cluster.Faults.Reset();
        var revision = await controller.GetRevisionAsync(canary, KubeCluster.Ct);
        Assert.Equal(["configmap/app-env", "secret/app-token"], revision.TrackedConfigs.Keys.Order());
    }

    [Fact]
    public async Task A_second_promotion_of_the_same_configs_reads_and_writes_nothing()
    {
        await using var kube = await StartAsync(References);
        var canary = await kube.CanaryAsync();
        var controller = new DeploymentController(kube.Client, kube.Cache, kube.Configs, kube.Options, kube.Clock);
        await controller.InitializeAsync(canary, false, KubeCluster.Ct);
        await kube.SettleAsync();
        var requests = Requests(kube, r => r.Resource is "secrets" or "configmaps" ? $"{r.Verb} {r.Resource}/{r.Name}" : null);

        await kube.Configs.CopyToPrimaryAsync(canary, (await kube.DeploymentAsync("podinfo")).Spec.Template.Spec, KubeCluster.Ct);

        Assert.Empty(requests);
    }

    /// <summary>The requests <paramref name="describe"/> names (null: not recorded), from a latency rule that never applies.</summary>
    private static System.Collections.Concurrent.ConcurrentQueue<string> Requests(KubeCluster kube, Func<Flagger.Testing.ApiRequestInfo, string?> describe)
    {
        var seen = new System.Collections.Concurrent.ConcurrentQueue<string>();
        kube.Cluster.Faults.AddLatency(TimeSpan.Zero, r =>
        {
            if (describe(r) is { } request)
            {
                seen.Enqueue(request);
            }

            return false;
        });
        return seen;
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        for (var waited = 0; !condition(); waited += 20)
        {
            Assert.True(waited < 10_000, "the cache never saw the change");
            await Task.Delay(20, KubeCluster.Ct);
        }
    }
}
