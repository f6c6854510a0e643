using System.Text.Json.Nodes;
using Flagger.Testing;

namespace Flagger.Deploy.Tests;

/// <summary>deploy/kustomize, built by the real kubectl's kustomize and applied to the embedded cluster.</summary>
public sealed class KustomizeTests
{
    private static readonly string[] Crds =
    [
        "canaries.flagger.app", "metrictemplates.flagger.app", "alertproviders.flagger.app",
        "virtualservices.networking.istio.io", "destinationrules.networking.istio.io", "gateways.networking.istio.io",
    ];

    [Fact]
    public async Task Kustomize_builds_the_operator_with_the_walkthroughs_flags()
    {
        var objects = Yaml.Documents(await Tool.RunAsync("kubectl", "kustomize", "deploy/kustomize"));

        Assert.Equal(Crds.Order(StringComparer.Ordinal), objects.Where(o => o["kind"].Text() == "CustomResourceDefinition").Select(o => o["metadata"]!["name"].Text()).Order(StringComparer.Ordinal));
        Assert.Equal(
            ["ClusterRole/flagger", "ClusterRoleBinding/flagger", "Deployment/flagger", "Role/flagger-leader-election", "RoleBinding/flagger-leader-election", "Service/flagger", "ServiceAccount/flagger"],
            objects.Where(o => o["kind"].Text() != "CustomResourceDefinition").Select(o => $"{o["kind"].Text()}/{o["metadata"]!["name"].Text()}").Order(StringComparer.Ordinal));
        Assert.DoesNotContain(objects, o => o["kind"].Text() == "Namespace");
        Assert.All(objects.Where(o => o["kind"].Text() is "Deployment" or "Service" or "ServiceAccount" or "Role" or "RoleBinding"),
            o => Assert.Equal("istio-system", o["metadata"]!["namespace"].Text()));

        var deployment = objects.OfKind("Deployment", "flagger");
        var flags = OperatorManifest.Flags(deployment);
        Assert.Equal("istio", flags["mesh-provider"]);
        Assert.Equal("http://prometheus.istio-system:9090", flags["metrics-server"]);
        Assert.Equal("flagger-dotnet:0.1.0", OperatorManifest.Container(deployment)["image"].Text());
        Assert.Equal("flagger", deployment["spec"]!["template"]!["spec"]!["serviceAccountName"].Text());
        // One replica without leader election: the old pod must stop before the new one drives canaries.
        Assert.Equal("Recreate", deployment["spec"]!["strategy"]!["type"].Text());
        OperatorManifest.AssertHardened(deployment);
        OperatorManifest.AssertSecretsStayOutOfArgs(deployment, "flagger");

        var port = Assert.Single(objects.OfKind("Service", "flagger")["spec"]!["ports"]!.AsArray())!;
        Assert.Equal(("http", "8080", "http"), (port["name"].Text(), port["port"].Text(), port["targetPort"].Text()));
        Assert.Equal("8080", OperatorManifest.Container(deployment)["ports"]![0]!["containerPort"].Text());

        foreach (var binding in new[] { objects.OfKind("ClusterRoleBinding", "flagger"), objects.OfKind("RoleBinding", "flagger-leader-election") })
        {
            var subject = Assert.Single(binding["subjects"]!.AsArray())!;
            Assert.Equal(("ServiceAccount", "flagger", "istio-system"), (subject["kind"].Text(), subject["name"].Text(), subject["namespace"].Text()));
        }
    }

    [Fact]
    public async Task An_overlay_moving_the_install_keeps_the_bindings_and_can_create_the_namespace()
    {
        var overlay = Directory.CreateTempSubdirectory("flagger-overlay-");
        try
        {
            var bases = Path.GetRelativePath(overlay.FullName, Repo.PathOf("deploy/kustomize"));
            await File.WriteAllTextAsync(Path.Combine(overlay.FullName, "kustomization.yaml"), $"""
                namespace: flagger-system
                resources: [{bases}]
                components: [{bases}/components/namespace]
                """, TestContext.Current.CancellationToken);

            var objects = Yaml.Documents(await Tool.RunAsync("kubectl", "kustomize", overlay.FullName));

            Assert.Equal("flagger-system", Assert.Single(objects, o => o["kind"].Text() == "Namespace")["metadata"]!["name"].Text());
            Assert.Equal("flagger-system", objects.OfKind("ClusterRoleBinding", "flagger")["subjects"]![0]!["namespace"].Text());
            Assert.Equal("flagger-system", objects.OfKind("RoleBinding", "flagger-leader-election")["subjects"]![0]!["namespace"].Text());
            Assert.Equal("flagger-system", objects.OfKind("Deployment", "flagger")["metadata"]!["namespace"].Text());
        }
        finally
        {
            overlay.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task The_built_base_applies_to_a_cluster_without_the_crds_and_serves_the_walkthroughs_canary()
    {
        await using var cluster = await EmbeddedCluster.StartAsync(new EmbeddedClusterOptions { InstallFlaggerCrds = false, InstallIstioCrds = false }, TestContext.Current.CancellationToken);
        var work = Directory.CreateTempSubdirectory("flagger-kustomize-");
        try
        {
            var kubeconfig = Path.Combine(work.FullName, "kubeconfig");
            cluster.WriteKubeconfig(kubeconfig);
            var rendered = Path.Combine(work.FullName, "flagger.yaml");
            await File.WriteAllTextAsync(rendered, await Tool.RunAsync("kubectl", "kustomize", "deploy/kustomize"), TestContext.Current.CancellationToken);
            Task<string> Kubectl(params string[] args) => Tool.RunAsync("kubectl", ["--kubeconfig", kubeconfig, "--cache-dir", Path.Combine(work.FullName, "cache"), .. args]);

            var created = await Kubectl("apply", "-f", rendered);
            Assert.Contains("customresourcedefinition.apiextensions.k8s.io/canaries.flagger.app created", created, StringComparison.Ordinal);
            Assert.Contains("clusterrole.rbac.authorization.k8s.io/flagger created", created, StringComparison.Ordinal);
            Assert.Contains("deployment.apps/flagger created", created, StringComparison.Ordinal);
            Assert.Contains("service/flagger created", created, StringComparison.Ordinal);

            // Applying the same output again changes nothing: what the server stored is what was written.
            var again = (await Kubectl("apply", "-f", rendered)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(created.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length, again.Length);
            Assert.All(again, line => Assert.EndsWith(" unchanged", line, StringComparison.Ordinal));

            var deployment = Yaml.Single(await Kubectl("-n", "istio-system", "get", "deployment", "flagger", "-o", "yaml"));
            OperatorManifest.AssertHardened(deployment);
            await Kubectl("-n", "istio-system", "wait", "--for=condition=Available", "deployment/flagger", "--timeout=20s");

            // The installed CRDs serve the walkthrough's v1alpha3 canary and print its columns.
            await Kubectl("apply", "-f", Repo.PathOf("deploy/artifacts/namespaces/test.yaml"));
            Assert.Contains("canary.flagger.app/podinfo created", await Kubectl("apply", "-f", Repo.PathOf("deploy/artifacts/canaries/canary.yaml")), StringComparison.Ordinal);
            var table = await Kubectl("get", "canaries", "--all-namespaces");
            Assert.StartsWith("NAMESPACE", table, StringComparison.Ordinal);
            Assert.Contains("WEIGHT", table, StringComparison.Ordinal);
            Assert.Contains("podinfo", table, StringComparison.Ordinal);
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }
}
