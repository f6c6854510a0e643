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
    public async Task Port_discovery_adds_the_other_container_ports_once_and_every_service_opts_out_of_flux()
    {
        await using var kube = await KubeCluster.StartAsync();
        await kube.ApplyAsync("""
            apiVersion: apps/v1
            kind: Deployment
            metadata: { name: podinfo, namespace: test }
            spec:
              selector: { matchLabels: { app: podinfo } }
              template:
                metadata: { labels: { app: podinfo } }
                spec:
                  containers:
                  - name: podinfod
                    image: stefanprodan/podinfo:1.4.0
                    ports:
                    - { containerPort: 9898, name: http }
                    - { containerPort: 9797, name: http-metrics }
                    - { containerPort: 9999 }
                  - name: istio-proxy
                    image: istio/proxyv2:1.20.0
                    ports:
                    - { containerPort: 15090, name: http-envoy-prom }
            """);
        await kube.ApplyAsync("""
            apiVersion: flagger.app/v1beta1
            kind: Canary
            metadata: { name: podinfo, namespace: test }
            spec:
              provider: kubernetes
              targetRef: { apiVersion: apps/v1, kind: Deployment, name: podinfo }
              service: { port: 80, targetPort: 9898, portDiscovery: true }
              analysis: { interval: 1m, threshold: 2, iterations: 2 }
            """);
        await kube.SettleAsync();
        var canary = await kube.CanaryAsync();
        var router = new KubernetesServiceRouter(kube.Client, kube.Cache, kube.Options);

        await router.InitializeAsync(canary, KubeCluster.Ct);
        await router.ReconcileAsync(canary, KubeCluster.Ct);

        foreach (var name in new[] { "podinfo", "podinfo-primary", "podinfo-canary" })
        {
            var service = await kube.Client.CoreV1.ReadNamespacedServiceAsync(name, "test", cancellationToken: KubeCluster.Ct);

            // The target port 9898 is the main port's: it is not listed again under its container name (two ports
            // named http would be refused by a real API server); a mesh proxy's ports are not the application's.
            Assert.Equal(
                ["http 80->9898", "http-metrics 9797->9797", "tcp-podinfod-2 9999->9999"],
                service.Spec.Ports.Select(p => $"{p.Name} {p.Port}->{p.TargetPort.Value}"));
            Assert.Equal("disabled", service.Metadata.Annotations["kustomize.toolkit.fluxcd.io/reconcile"]);
            Assert.Equal("disabled", service.Metadata.Annotations["helm.toolkit.fluxcd.io/driftDetection"]);
        }
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
