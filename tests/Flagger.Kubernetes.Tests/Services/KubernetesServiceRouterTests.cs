using k8s;
using k8s.Models;

namespace Flagger.Kubernetes.Services;

public sealed class KubernetesServiceRouterTests
{
    [Fact]
    public async Task Creates_canary_primary_and_apex_ClusterIP_services_with_the_selector_label()
    {
        await using var kube = await KubeCluster.StartAsync();
        await kube.ApplyWalkthroughAsync(hpa: false);
        await kube.SettleAsync();
        var canary = await kube.CanaryAsync();
        var router = new KubernetesServiceRouter(kube.Client, kube.Cache, kube.Options);

        await router.InitializeAsync(canary, KubeCluster.Ct);
        await router.ReconcileAsync(canary, KubeCluster.Ct);

        foreach (var (name, selector) in new[] { ("podinfo", "podinfo-primary"), ("podinfo-primary", "podinfo-primary"), ("podinfo-canary", "podinfo") })
        {
            var service = await kube.Client.CoreV1.ReadNamespacedServiceAsync(name, "test", cancellationToken: KubeCluster.Ct);
            Assert.Equal("ClusterIP", service.Spec.Type);
            Assert.Equal(new Dictionary<string, string> { ["app"] = selector }, service.Spec.Selector);
            Assert.Equal(name, service.Metadata.Labels["app"]);
            var port = Assert.Single(service.Spec.Ports);
            Assert.Equal(("http", 9898, "9898"), (port.Name, port.Port, port.TargetPort.Value));
        }
    }

    [Fact]
    public async Task Adopts_a_user_service_and_corrects_drift_and_restores_it_on_finalize()
    {
        await using var kube = await KubeCluster.StartAsync();
        await kube.ApplyWalkthroughAsync(hpa: false);
        await kube.ApplyAsync("""
            apiVersion: v1
            kind: Service
            metadata:
              name: podinfo
              namespace: test
            spec:
              selector:
                app: podinfo
              ports:
              - name: http
                port: 9898
            """);
        await kube.SettleAsync();
        var canary = await kube.CanaryAsync();
        var router = new KubernetesServiceRouter(kube.Client, kube.Cache, kube.Options);

        await router.ReconcileAsync(canary, KubeCluster.Ct);
        Assert.Equal("podinfo-primary", (await kube.Client.CoreV1.ReadNamespacedServiceAsync("podinfo", "test", cancellationToken: KubeCluster.Ct)).Spec.Selector["app"]);

        await kube.Client.CoreV1.PatchNamespacedServiceAsync(new V1Patch("""{"spec":{"selector":{"app":"other"}}}""", V1Patch.PatchType.MergePatch), "podinfo", "test", cancellationToken: KubeCluster.Ct);
        await kube.SettleAsync();
        await router.ReconcileAsync(canary, KubeCluster.Ct);
        Assert.Equal("podinfo-primary", (await kube.Client.CoreV1.ReadNamespacedServiceAsync("podinfo", "test", cancellationToken: KubeCluster.Ct)).Spec.Selector["app"]);

        await kube.SettleAsync();
        await router.FinalizeAsync(canary, KubeCluster.Ct);
        Assert.Equal("podinfo", (await kube.Client.CoreV1.ReadNamespacedServiceAsync("podinfo", "test", cancellationToken: KubeCluster.Ct)).Spec.Selector["app"]);
    }

    [Fact]
    public async Task An_unchanged_service_is_not_written_again()
    {
        await using var kube = await KubeCluster.StartAsync();
        await kube.ApplyWalkthroughAsync(hpa: false);
        await kube.SettleAsync();
        var canary = await kube.CanaryAsync();
        var router = new KubernetesServiceRouter(kube.Client, kube.Cache, kube.Options);
        await router.InitializeAsync(canary, KubeCluster.Ct);
        await router.ReconcileAsync(canary, KubeCluster.Ct);
        await kube.SettleAsync();

        kube.Cluster.Requests.Reset();
        await router.InitializeAsync(canary, KubeCluster.Ct);
        await router.ReconcileAsync(canary, KubeCluster.Ct);

        Assert.Equal(0, kube.Cluster.Requests.Total - kube.Cluster.Requests["watch"]);
    }
}
