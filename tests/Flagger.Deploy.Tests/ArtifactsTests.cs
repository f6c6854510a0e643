using System.Text.Json.Nodes;

namespace Flagger.Deploy.Tests;

/// <summary>deploy/artifacts holds the walkthrough's manifests at the walkthrough's paths (export REPO=deploy).</summary>
public sealed class ArtifactsTests
{
    private static JsonObject Artifact(string path) => Yaml.Single(Repo.Read($"deploy/artifacts/{path}"));

    [Fact]
    public void The_test_namespace_has_istio_sidecar_injection()
    {
        var ns = Artifact("namespaces/test.yaml");

        Assert.Equal(("Namespace", "test"), (ns["kind"].Text(), ns["metadata"]!["name"].Text()));
        Assert.Equal("enabled", ns["metadata"]!["labels"]!["istio-injection"].Text());
    }

    [Fact]
    public void The_podinfo_deployment_serves_http_on_9898_with_probes_and_resources()
    {
        var deployment = Artifact("canaries/deployment.yaml");
        var container = OperatorManifest.Container(deployment);

        Assert.Equal(("Deployment", "podinfo", "test"), (deployment["kind"].Text(), deployment["metadata"]!["name"].Text(), deployment["metadata"]!["namespace"].Text()));
        Assert.Equal("podinfod", container["name"].Text());
        Assert.EndsWith("stefanprodan/podinfo:1.4.0", container["image"].Text(), StringComparison.Ordinal);
        var port = Assert.Single(container["ports"]!.AsArray())!;
        Assert.Equal(("9898", "http"), (port["containerPort"].Text(), port["name"].Text()));
        Assert.NotNull(container["livenessProbe"]);
        Assert.NotNull(container["readinessProbe"]);
        Assert.NotNull(container["resources"]!["requests"]);
        Assert.NotNull(container["resources"]!["limits"]);
    }

    [Fact]
    public void The_hpa_scales_podinfo()
    {
        var hpa = Artifact("canaries/hpa.yaml");

        Assert.Equal(("HorizontalPodAutoscaler", "podinfo"), (hpa["kind"].Text(), hpa["metadata"]!["name"].Text()));
        Assert.Equal(("Deployment", "podinfo"), (hpa["spec"]!["scaleTargetRef"]!["kind"].Text(), hpa["spec"]!["scaleTargetRef"]!["name"].Text()));
    }

    [Fact]
    public void The_canary_is_the_walkthroughs()
    {
        var canary = Artifact("canaries/canary.yaml");
        var spec = canary["spec"]!;
        var analysis = spec["canaryAnalysis"]!;

        Assert.Equal(("flagger.app/v1alpha3", "Canary", "podinfo", "test"), (canary["apiVersion"].Text(), canary["kind"].Text(), canary["metadata"]!["name"].Text(), canary["metadata"]!["namespace"].Text()));
        Assert.Equal(("Deployment", "podinfo"), (spec["targetRef"]!["kind"].Text(), spec["targetRef"]!["name"].Text()));
        Assert.Equal("60", spec["progressDeadlineSeconds"].Text());
        Assert.Equal("podinfo", spec["autoscalerRef"]!["name"].Text());
        Assert.Equal("9898", spec["service"]!["port"].Text());
        Assert.Equal(["public-gateway.istio-system.svc.cluster.local", "mesh"], spec["service"]!["gateways"]!.AsArray().Select(g => g.Text()));
        Assert.Equal(("1m", "5", "50", "10"), (analysis["interval"].Text(), analysis["threshold"].Text(), analysis["maxWeight"].Text(), analysis["stepWeight"].Text()));
        Assert.Equal(
            ["request-success-rate 99 1m", "request-duration 500 30s"],
            analysis["metrics"]!.AsArray().Select(m => $"{m!["name"].Text()} {m["threshold"].Text()} {m["interval"].Text()}"));
        var hook = Assert.Single(analysis["webhooks"]!.AsArray())!;
        Assert.Equal(("load-test", "http://flagger-loadtester.test/", "5s"), (hook["name"].Text(), hook["url"].Text(), hook["timeout"].Text()));
        Assert.Equal("hey -z 1m -q 10 -c 2 http://podinfo-canary.test:9898/", hook["metadata"]!["cmd"].Text());
    }

    [Fact]
    public void The_load_tester_is_reachable_as_flagger_loadtester_on_port_80()
    {
        var deployment = Artifact("loadtester/deployment.yaml");
        var service = Artifact("loadtester/service.yaml");

        Assert.Equal(("Deployment", "flagger-loadtester"), (deployment["kind"].Text(), deployment["metadata"]!["name"].Text()));
        Assert.Equal(("Service", "flagger-loadtester"), (service["kind"].Text(), service["metadata"]!["name"].Text()));
        Assert.Equal("80", Assert.Single(service["spec"]!["ports"]!.AsArray())!["port"].Text());
        Assert.Equal(deployment["spec"]!["selector"]!["matchLabels"]!.ToJsonString(), service["spec"]!["selector"]!.ToJsonString());
    }
}
