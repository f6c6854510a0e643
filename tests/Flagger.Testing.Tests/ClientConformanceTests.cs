using System.Net;
using System.Text.Json;
using k8s;
using k8s.Models;

namespace Flagger.Testing.Tests;

/// <summary>What a real API server guarantees, checked through the real KubernetesClient.</summary>
public sealed class ClientConformanceTests
{
    private static V1Deployment Podinfo(string image = "stefanprodan/podinfo:1.4.0") => new()
    {
        Metadata = new V1ObjectMeta { Name = "podinfo", Labels = new Dictionary<string, string> { ["app"] = "podinfo" } },
        Spec = new V1DeploymentSpec
        {
            Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = "podinfo" } },
            Template = new V1PodTemplateSpec
            {
                Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { ["app"] = "podinfo" } },
                Spec = new V1PodSpec
                {
                    Containers =
                    [
                        new V1Container
                        {
                            Name = "podinfod", Image = image,
                            Ports = [new V1ContainerPort { ContainerPort = 9898, Name = "http" }],
                            Env = [new V1EnvVar { Name = "A", Value = "1" }, new V1EnvVar { Name = "B", Value = "2" }],
                        },
                    ],
                },
            },
        },
    };

    [Fact]
    public async Task Create_get_list_update_delete_round_trip_with_server_set_metadata()
    {
        await using var cluster = await TestCluster.StartAsync();
        using var client = cluster.CreateClient();
        var created = await client.CoreV1.CreateNamespacedConfigMapAsync(
            new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "cfg" }, Data = new Dictionary<string, string> { ["k"] = "v" } }, "default", cancellationToken: TestCluster.Ct);
        Assert.False(string.IsNullOrEmpty(created.Metadata.Uid));
        Assert.NotNull(created.Metadata.CreationTimestamp);
        Assert.Equal("default", created.Metadata.NamespaceProperty);

        created.Data["k"] = "w";
        var updated = await client.CoreV1.ReplaceNamespacedConfigMapAsync(created, "cfg", "default", cancellationToken: TestCluster.Ct);
        Assert.True(long.Parse(updated.Metadata.ResourceVersion) > long.Parse(created.Metadata.ResourceVersion));

        var list = await client.CoreV1.ListNamespacedConfigMapAsync("default", cancellationToken: TestCluster.Ct);
        Assert.Equal("w", Assert.Single(list.Items).Data["k"]);
        Assert.False(string.IsNullOrEmpty(list.Metadata.ResourceVersion));

        await client.CoreV1.DeleteNamespacedConfigMapAsync("cfg", "default", cancellationToken: TestCluster.Ct);
        var status = await TestCluster.FailureAsync(() => client.CoreV1.ReadNamespacedConfigMapAsync("cfg", "default", cancellationToken: TestCluster.Ct));
        Assert.Equal(("NotFound", 404), (status.Reason, status.Code));
        Assert.Equal("configmaps \"cfg\" not found", status.Message);
    }

    [Fact]
    public async Task Errors_are_status_objects_for_duplicates_stale_versions_missing_namespaces_and_invalid_names()
    {
        await using var cluster = await TestCluster.StartAsync();
        using var client = cluster.CreateClient();
        var created = await client.AppsV1.CreateNamespacedDeploymentAsync(Podinfo(), "default", cancellationToken: TestCluster.Ct);

        var duplicate = await TestCluster.FailureAsync(() => client.AppsV1.CreateNamespacedDeploymentAsync(Podinfo(), "default", cancellationToken: TestCluster.Ct));
        Assert.Equal(("AlreadyExists", 409), (duplicate.Reason, duplicate.Code));

        await client.AppsV1.PatchNamespacedDeploymentAsync(new V1Patch("{\"metadata\":{\"labels\":{\"x\":\"y\"}}}", V1Patch.PatchType.MergePatch), "podinfo", "default", cancellationToken: TestCluster.Ct);
        var stale = await TestCluster.FailureAsync(() => client.AppsV1.ReplaceNamespacedDeploymentAsync(created, "podinfo", "default", cancellationToken: TestCluster.Ct));
        Assert.Equal(("Conflict", 409), (stale.Reason, stale.Code));

        var missing = await TestCluster.FailureAsync(() => client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "x" } }, "nope", cancellationToken: TestCluster.Ct));
        Assert.Equal(404, missing.Code);

        var invalid = await TestCluster.FailureAsync(() => client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "Not_Valid" } }, "default", cancellationToken: TestCluster.Ct));
        Assert.Equal(("Invalid", 422), (invalid.Reason, invalid.Code));

        var mismatched = Podinfo();
        mismatched.Metadata.Name = "primary";
        mismatched.Spec.Selector.MatchLabels["app"] = "podinfo-primary";
        var selector = await TestCluster.FailureAsync(() => client.AppsV1.CreateNamespacedDeploymentAsync(mismatched, "default", cancellationToken: TestCluster.Ct));
        Assert.Equal(422, selector.Code);
        Assert.Contains("`selector` does not match template `labels`", selector.Message, StringComparison.Ordinal);
        var immutable = await TestCluster.FailureAsync(() => client.AppsV1.PatchNamespacedDeploymentAsync(
            new V1Patch("""{"spec":{"selector":{"matchLabels":{"app":"other"}},"template":{"metadata":{"labels":{"app":"other"}}}}}""", V1Patch.PatchType.MergePatch), "podinfo", "default", cancellationToken: TestCluster.Ct));
        Assert.Contains("field is immutable", immutable.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Generation_moves_on_spec_changes_only_and_status_is_a_separate_subresource()
    {
        await using var cluster = await EmbeddedCluster.StartAsync(new EmbeddedClusterOptions { SimulateControllers = false }, TestCluster.Ct);
        using var client = cluster.CreateClient();
        var d = await client.AppsV1.CreateNamespacedDeploymentAsync(Podinfo(), "default", cancellationToken: TestCluster.Ct);
        Assert.Equal(1, d.Metadata.Generation);

        d = await client.AppsV1.PatchNamespacedDeploymentAsync(new V1Patch("{\"metadata\":{\"annotations\":{\"a\":\"b\"}}}", V1Patch.PatchType.MergePatch), "podinfo", "default", cancellationToken: TestCluster.Ct);
        Assert.Equal(1, d.Metadata.Generation);

        d.Spec.Replicas = 3;
        d.Status = new V1DeploymentStatus { ReadyReplicas = 99 };
        d = await client.AppsV1.ReplaceNamespacedDeploymentAsync(d, "podinfo", "default", cancellationToken: TestCluster.Ct);
        Assert.Equal(2, d.Metadata.Generation);
        Assert.Null(d.Status?.ReadyReplicas);

        d.Status = new V1DeploymentStatus { ReadyReplicas = 3, ObservedGeneration = 2 };
        d.Spec.Replicas = 7;
        d = await client.AppsV1.ReplaceNamespacedDeploymentStatusAsync(d, "podinfo", "default", cancellationToken: TestCluster.Ct);
        Assert.Equal(3, d.Status.ReadyReplicas);
        Assert.Equal(3, d.Spec.Replicas);
        Assert.Equal(2, d.Metadata.Generation);
    }

    [Fact]
    public async Task Merge_json_and_strategic_patches_follow_kubernetes_rules()
    {
        await using var cluster = await TestCluster.StartAsync();
        using var client = cluster.CreateClient();
        await client.AppsV1.CreateNamespacedDeploymentAsync(Podinfo(), "default", cancellationToken: TestCluster.Ct);

        var smp = """{"spec":{"template":{"spec":{"containers":[{"name":"podinfod","image":"podinfo:2","env":[{"name":"B","value":"3"},{"name":"C","value":"4"}]}]}}}}""";
        var d = await client.AppsV1.PatchNamespacedDeploymentAsync(new V1Patch(smp, V1Patch.PatchType.StrategicMergePatch), "podinfo", "default", cancellationToken: TestCluster.Ct);
        var c = Assert.Single(d.Spec.Template.Spec.Containers);
        Assert.Equal("podinfo:2", c.Image);
        Assert.Equal(["A=1", "B=3", "C=4"], c.Env.Select(e => $"{e.Name}={e.Value}"));
        Assert.Single(c.Ports);

        var delete = """{"spec":{"template":{"spec":{"containers":[{"name":"podinfod","env":[{"name":"A","$patch":"delete"}]}]}}}}""";
        d = await client.AppsV1.PatchNamespacedDeploymentAsync(new V1Patch(delete, V1Patch.PatchType.StrategicMergePatch), "podinfo", "default", cancellationToken: TestCluster.Ct);
        Assert.Equal(["B", "C"], d.Spec.Template.Spec.Containers[0].Env.Select(e => e.Name));

        // A JSON merge patch replaces lists wholesale.
        var merge = """{"spec":{"template":{"spec":{"containers":[{"name":"other","image":"x"}]}}}}""";
        d = await client.AppsV1.PatchNamespacedDeploymentAsync(new V1Patch(merge, V1Patch.PatchType.MergePatch), "podinfo", "default", cancellationToken: TestCluster.Ct);
        Assert.Equal("other", Assert.Single(d.Spec.Template.Spec.Containers).Name);

        var json = """[{"op":"replace","path":"/spec/replicas","value":5},{"op":"add","path":"/metadata/labels/tier","value":"web"}]""";
        d = await client.AppsV1.PatchNamespacedDeploymentAsync(new V1Patch(json, V1Patch.PatchType.JsonPatch), "podinfo", "default", cancellationToken: TestCluster.Ct);
        Assert.Equal(5, d.Spec.Replicas);
        Assert.Equal("web", d.Metadata.Labels["tier"]);

        var rejected = await TestCluster.StatusOfAsync(() => client.CustomObjects.PatchNamespacedCustomObjectAsync(
            new V1Patch("{}", V1Patch.PatchType.StrategicMergePatch), "flagger.app", "v1beta1", "default", "canaries", "x", cancellationToken: TestCluster.Ct));
        Assert.Equal(415, rejected);
    }

    [Fact]
    public async Task Secret_string_data_is_stored_as_base64_data()
    {
        await using var cluster = await TestCluster.StartAsync();
        using var client = cluster.CreateClient();
        await client.CoreV1.CreateNamespacedSecretAsync(new V1Secret { Metadata = new V1ObjectMeta { Name = "s" }, StringData = new Dictionary<string, string> { ["address"] = "https://hooks.slack.com/x" } }, "default", cancellationToken: TestCluster.Ct);
        var secret = await client.CoreV1.ReadNamespacedSecretAsync("s", "default", cancellationToken: TestCluster.Ct);
        Assert.Equal("https://hooks.slack.com/x", System.Text.Encoding.UTF8.GetString(secret.Data["address"]));
        Assert.Null(secret.StringData);
        Assert.Equal("Opaque", secret.Type);
    }

    [Fact]
    public async Task Services_get_a_cluster_ip_that_cannot_change()
    {
        await using var cluster = await TestCluster.StartAsync();
        using var client = cluster.CreateClient();
        var svc = await client.CoreV1.CreateNamespacedServiceAsync(new V1Service
        {
            Metadata = new V1ObjectMeta { Name = "podinfo" },
            Spec = new V1ServiceSpec { Selector = new Dictionary<string, string> { ["app"] = "podinfo" }, Ports = [new V1ServicePort { Name = "http", Port = 9898 }] },
        }, "default", cancellationToken: TestCluster.Ct);
        Assert.StartsWith("10.96.", svc.Spec.ClusterIP, StringComparison.Ordinal);
        Assert.Equal(9898, svc.Spec.Ports[0].TargetPort.Value == "9898" ? 9898 : -1);

        svc.Spec.Selector["app"] = "podinfo-primary";
        svc = await client.CoreV1.ReplaceNamespacedServiceAsync(svc, "podinfo", "default", cancellationToken: TestCluster.Ct);
        Assert.Equal("podinfo-primary", svc.Spec.Selector["app"]);

        svc.Spec.ClusterIP = "10.0.0.99";
        svc.Spec.ClusterIPs = ["10.0.0.99"];
        Assert.Equal(422, (await TestCluster.FailureAsync(() => client.CoreV1.ReplaceNamespacedServiceAsync(svc, "podinfo", "default", cancellationToken: TestCluster.Ct))).Code);
    }

    [Fact]
    public async Task Dry_run_validates_without_persisting()
    {
        await using var cluster = await TestCluster.StartAsync();
        using var client = cluster.CreateClient();
        var dry = await client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "cfg" } }, "default", dryRun: "All", cancellationToken: TestCluster.Ct);
        Assert.Equal("cfg", dry.Metadata.Name);
        Assert.Equal(404, await TestCluster.StatusOfAsync(() => client.CoreV1.ReadNamespacedConfigMapAsync("cfg", "default", cancellationToken: TestCluster.Ct)));
    }

    [Fact]
    public async Task Label_and_field_selectors_filter_lists()
    {
        await using var cluster = await TestCluster.StartAsync();
        using var client = cluster.CreateClient();
        foreach (var (name, tier) in new[] { ("a", "web"), ("b", "db"), ("c", "web") })
        {
            await client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = name, Labels = new Dictionary<string, string> { ["tier"] = tier } } }, "default", cancellationToken: TestCluster.Ct);
        }

        Assert.Equal(["a", "c"], (await client.CoreV1.ListNamespacedConfigMapAsync("default", labelSelector: "tier=web", cancellationToken: TestCluster.Ct)).Items.Select(i => i.Metadata.Name));
        Assert.Equal(["b"], (await client.CoreV1.ListNamespacedConfigMapAsync("default", labelSelector: "tier notin (web)", cancellationToken: TestCluster.Ct)).Items.Select(i => i.Metadata.Name));
        Assert.Equal(["c"], (await client.CoreV1.ListNamespacedConfigMapAsync("default", fieldSelector: "metadata.name=c", cancellationToken: TestCluster.Ct)).Items.Select(i => i.Metadata.Name));

        foreach (var (name, target) in new[] { ("e1", "podinfo"), ("e2", "other") })
        {
            await client.CoreV1.CreateNamespacedEventAsync(new Corev1Event
            {
                Metadata = new V1ObjectMeta { Name = name },
                InvolvedObject = new V1ObjectReference { Kind = "Canary", Name = target, NamespaceProperty = "default" },
                Reason = "Synced",
                Message = "m",
            }, "default", cancellationToken: TestCluster.Ct);
        }

        var events = await client.CoreV1.ListNamespacedEventAsync("default", fieldSelector: "involvedObject.kind=Canary,involvedObject.name=podinfo", cancellationToken: TestCluster.Ct);
        Assert.Equal("e1", Assert.Single(events.Items).Metadata.Name);
        // events.k8s.io/v1 sees the same events with the newer field names.
        var newer = await client.EventsV1.ReadNamespacedEventAsync("e1", "default", cancellationToken: TestCluster.Ct);
        Assert.Equal("podinfo", newer.Regarding.Name);
        Assert.Equal("m", newer.Note);
    }

    [Fact]
    public async Task Deleting_an_owner_collects_dependents_unless_orphaned()
    {
        await using var cluster = await TestCluster.StartAsync();
        using var client = cluster.CreateClient();
        var owner = await client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "owner" } }, "default", cancellationToken: TestCluster.Ct);
        V1OwnerReference Ref() => new() { ApiVersion = "v1", Kind = "ConfigMap", Name = "owner", Uid = owner.Metadata.Uid };
        await client.CoreV1.CreateNamespacedSecretAsync(new V1Secret { Metadata = new V1ObjectMeta { Name = "child", OwnerReferences = [Ref()] } }, "default", cancellationToken: TestCluster.Ct);
        await client.CoreV1.DeleteNamespacedConfigMapAsync("owner", "default", cancellationToken: TestCluster.Ct);
        Assert.Equal(404, await TestCluster.StatusOfAsync(() => client.CoreV1.ReadNamespacedSecretAsync("child", "default", cancellationToken: TestCluster.Ct)));

        owner = await client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "owner" } }, "default", cancellationToken: TestCluster.Ct);
        await client.CoreV1.CreateNamespacedSecretAsync(new V1Secret { Metadata = new V1ObjectMeta { Name = "child", OwnerReferences = [Ref()] } }, "default", cancellationToken: TestCluster.Ct);
        await client.CoreV1.DeleteNamespacedConfigMapAsync("owner", "default", propagationPolicy: "Orphan", cancellationToken: TestCluster.Ct);
        var orphan = await client.CoreV1.ReadNamespacedSecretAsync("child", "default", cancellationToken: TestCluster.Ct);
        Assert.True(orphan.Metadata.OwnerReferences is null or { Count: 0 });
    }

    [Fact]
    public async Task Finalizers_hold_deletion_until_the_last_one_is_removed()
    {
        await using var cluster = await TestCluster.StartAsync();
        using var client = cluster.CreateClient();
        await client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "held", Finalizers = ["finalizer.flagger.app"] } }, "default", cancellationToken: TestCluster.Ct);
        await client.CoreV1.DeleteNamespacedConfigMapAsync("held", "default", cancellationToken: TestCluster.Ct);
        var marked = await client.CoreV1.ReadNamespacedConfigMapAsync("held", "default", cancellationToken: TestCluster.Ct);
        Assert.NotNull(marked.Metadata.DeletionTimestamp);

        await client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch("""{"metadata":{"finalizers":null}}""", V1Patch.PatchType.MergePatch), "held", "default", cancellationToken: TestCluster.Ct);
        Assert.Equal(404, await TestCluster.StatusOfAsync(() => client.CoreV1.ReadNamespacedConfigMapAsync("held", "default", cancellationToken: TestCluster.Ct)));
    }

    [Fact]
    public async Task Deleting_a_namespace_deletes_what_is_in_it()
    {
        await using var cluster = await TestCluster.StartAsync();
        using var client = cluster.CreateClient();
        await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "test" } }, cancellationToken: TestCluster.Ct);
        await client.AppsV1.CreateNamespacedDeploymentAsync(Podinfo(), "test", cancellationToken: TestCluster.Ct);
        await client.CoreV1.DeleteNamespaceAsync("test", cancellationToken: TestCluster.Ct);
        Assert.Equal(404, await TestCluster.StatusOfAsync(() => client.CoreV1.ReadNamespaceAsync("test", cancellationToken: TestCluster.Ct)));
        Assert.DoesNotContain((await client.AppsV1.ListDeploymentForAllNamespacesAsync(cancellationToken: TestCluster.Ct)).Items, d => d.Metadata.NamespaceProperty == "test");
    }

    [Fact]
    public async Task Custom_resources_are_served_per_crd_and_validated_against_its_schema()
    {
        await using var cluster = await TestCluster.StartAsync();
        using var client = cluster.CreateClient();
        var canary = new
        {
            apiVersion = "flagger.app/v1beta1",
            kind = "Canary",
            metadata = new { name = "podinfo" },
            spec = new
            {
                targetRef = new { apiVersion = "apps/v1", kind = "Deployment", name = "podinfo" },
                service = new { port = 9898 },
                analysis = new { interval = "1m", threshold = 5, maxWeight = 50, stepWeight = 10 },
            },
        };
        var created = await client.CustomObjects.CreateNamespacedCustomObjectAsync<JsonElement>(canary, "flagger.app", "v1beta1", "default", "canaries", cancellationToken: TestCluster.Ct);
        Assert.Equal(1, created.GetProperty("metadata").GetProperty("generation").GetInt32());

        var old = await client.CustomObjects.GetNamespacedCustomObjectAsync<JsonElement>("flagger.app", "v1alpha3", "default", "canaries", "podinfo", TestCluster.Ct);
        Assert.Equal("flagger.app/v1alpha3", old.GetProperty("apiVersion").GetString());

        var invalid = await TestCluster.FailureAsync(() => client.CustomObjects.CreateNamespacedCustomObjectAsync<JsonElement>(
            new { apiVersion = "flagger.app/v1beta1", kind = "Canary", metadata = new { name = "bad" }, spec = new { service = new { port = "x" } } },
            "flagger.app", "v1beta1", "default", "canaries", cancellationToken: TestCluster.Ct));
        Assert.Equal(422, invalid.Code);
        Assert.Contains("spec.targetRef", invalid.Message, StringComparison.Ordinal);
        Assert.Contains("spec.service.port", invalid.Message, StringComparison.Ordinal);

        var unconditional = await TestCluster.FailureAsync(() => client.CustomObjects.ReplaceNamespacedCustomObjectAsync<JsonElement>(
            canary, "flagger.app", "v1beta1", "default", "canaries", "podinfo", cancellationToken: TestCluster.Ct));
        Assert.Equal(422, unconditional.Code);
        Assert.Contains("metadata.resourceVersion", unconditional.Message, StringComparison.Ordinal);

        await client.ApiextensionsV1.DeleteCustomResourceDefinitionAsync("canaries.flagger.app", cancellationToken: TestCluster.Ct);
        Assert.Equal(404, await TestCluster.StatusOfAsync(() => client.CustomObjects.GetNamespacedCustomObjectAsync<JsonElement>("flagger.app", "v1beta1", "default", "canaries", "podinfo", TestCluster.Ct)));
    }

    [Fact]
    public async Task Scale_subresource_reads_and_writes_replicas()
    {
        await using var cluster = await TestCluster.StartAsync();
        using var client = cluster.CreateClient();
        await client.AppsV1.CreateNamespacedDeploymentAsync(Podinfo(), "default", cancellationToken: TestCluster.Ct);
        var scale = await client.AppsV1.ReadNamespacedDeploymentScaleAsync("podinfo", "default", cancellationToken: TestCluster.Ct);
        Assert.Equal(1, scale.Spec.Replicas);
        Assert.Equal("app=podinfo", scale.Status.Selector);
        await client.AppsV1.PatchNamespacedDeploymentScaleAsync(new V1Patch("""{"spec":{"replicas":4}}""", V1Patch.PatchType.MergePatch), "podinfo", "default", cancellationToken: TestCluster.Ct);
        Assert.Equal(4, (await client.AppsV1.ReadNamespacedDeploymentAsync("podinfo", "default", cancellationToken: TestCluster.Ct)).Spec.Replicas);
    }

    [Fact]
    public async Task Unknown_paths_answer_404_status()
    {
        await using var cluster = await TestCluster.StartAsync();
        using var http = new HttpClient { BaseAddress = cluster.BaseAddress };
        var response = await http.GetAsync("apis/nope.example.com/v1/things", TestCluster.Ct);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("\"kind\":\"Status\"", await response.Content.ReadAsStringAsync(TestCluster.Ct), StringComparison.Ordinal);
    }
}
