using Flagger.Analysis;
using Flagger.Model;
using Flagger.Operator;
using Flagger.Store;
using Flagger.Testing;
using Flagger.Testing.Receivers;
using Flagger.Tests.Operator;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Flagger.Acceptance;

/// <summary>
/// <c>spec.provider: kubernetes</c> end to end, driven with kubectl as a user would: no mesh, only the apex,
/// <c>-primary</c> and <c>-canary</c> Services, so every canary runs Blue/Green by iterations. As in Flagger, the
/// apex Service keeps selecting the primary's pods throughout; the canary is reached through <c>-canary</c> during
/// the analysis, and the promotion is the primary taking the canary's template. Hooks are answered by a real HTTP
/// listener; a rollout hook answering 500 is a failed check.
/// </summary>
public sealed class KubernetesProviderTests : IAsyncLifetime
{
    private readonly string kubeconfig = Path.Combine(Path.GetTempPath(), $"flagger-kubernetes-{Guid.NewGuid():N}.yaml");
    private EmbeddedCluster cluster = null!;
    private RecordingReceiver hooks = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        cluster = await EmbeddedCluster.StartAsync(new EmbeddedClusterOptions { RolloutDelay = TimeSpan.FromMilliseconds(200) }, Ct);
        cluster.WriteKubeconfig(kubeconfig);
        hooks = await RecordingReceiver.StartAsync(Ct);
    }

    public async ValueTask DisposeAsync()
    {
        await hooks.DisposeAsync();
        await cluster.DisposeAsync();
        File.Delete(kubeconfig);
    }

    [Fact]
    public async Task A_deployment_is_promoted_after_its_iterations_with_its_hooks_and_a_revision_failing_its_checks_is_rolled_back()
    {
        await KubectlAsync(["apply", "-f", "-"], Namespace + Deployment);
        await using var app = await StartOperatorAsync();
        var store = app.Services.GetRequiredService<ICanaryStore>();
        await KubectlAsync(["apply", "-f", "-"], CanaryFor("Deployment", "podinfo"));
        await OperatorApp.WaitForPhaseAsync(store, "podinfo", CanaryPhase.Initialized);

        // Initialised: the primary runs the first revision, the target is parked at zero, the apex Service selects
        // the primary's pods and carries Flux's opt-out annotations, and port discovery added the metrics port once.
        Assert.Equal("stefanprodan/podinfo:1.4.0", await GetAsync("deployment", "podinfo-primary", "{.spec.template.spec.containers[0].image}"));
        Assert.Equal("0", await GetAsync("deployment", "podinfo", "{.spec.replicas}"));
        Assert.Equal("podinfo-primary", await GetAsync("service", "podinfo", "{.spec.selector.app}"));
        Assert.Equal("podinfo-primary", await GetAsync("service", "podinfo-primary", "{.spec.selector.app}"));
        Assert.Equal("podinfo", await GetAsync("service", "podinfo-canary", "{.spec.selector.app}"));
        Assert.Equal("http:80:9898 http-metrics:9797:9797", (await GetAsync("service", "podinfo", "{range .spec.ports[*]}{.name}:{.port}:{.targetPort} {end}")).TrimEnd());
        Assert.Equal("disabled disabled", await GetAsync("service", "podinfo", "{.metadata.annotations.kustomize\\.toolkit\\.fluxcd\\.io/reconcile} {.metadata.annotations.helm\\.toolkit\\.fluxcd\\.io/driftDetection}"));

        await KubectlAsync(["-n", "test", "set", "image", "deployment/podinfo", "podinfod=stefanprodan/podinfo:1.4.1"]);
        await OperatorApp.WaitForStatusAsync(store, "podinfo", s => s.Phase == CanaryPhase.Progressing && s.Iterations >= 1, "the first iteration");

        // During the analysis the canary's pods run the new revision behind podinfo-canary, the load test reaches
        // them there, and live traffic through the apex Service stays on the primary.
        Assert.Equal("podinfo-primary", await GetAsync("service", "podinfo", "{.spec.selector.app}"));
        Assert.Equal("stefanprodan/podinfo:1.4.1", await GetAsync("deployment", "podinfo", "{.spec.template.spec.containers[0].image}"));
        Assert.NotEqual("0", await GetAsync("deployment", "podinfo", "{.spec.replicas}"));
        Assert.Equal("stefanprodan/podinfo:1.4.0", await GetAsync("deployment", "podinfo-primary", "{.spec.template.spec.containers[0].image}"));

        await OperatorApp.WaitForPhaseAsync(store, "podinfo", CanaryPhase.Succeeded);
        Assert.Equal("stefanprodan/podinfo:1.4.1", await GetAsync("deployment", "podinfo-primary", "{.spec.template.spec.containers[0].image}"));
        Assert.Equal("0", await GetAsync("deployment", "podinfo", "{.spec.replicas}"));
        Assert.Equal("podinfo-primary", await GetAsync("service", "podinfo", "{.spec.selector.app}"));
        var pre = Assert.Single(hooks.At("/pre"));
        Assert.Equal("podinfo", pre.Json().GetProperty("name").GetString());
        Assert.Equal("Progressing", pre.Json().GetProperty("phase").GetString());
        Assert.True(hooks.At("/rollout").Count >= 3, $"the rollout hook runs at every iteration; it ran {hooks.At("/rollout").Count} times");
        Assert.Equal("Succeeded", Assert.Single(hooks.At("/post")).Json().GetProperty("phase").GetString());
        var events = await EventsAsync("podinfo");
        Assert.Contains("Pre-rollout check acceptance-test passed", events);
        Assert.Contains("Advance podinfo.test canary iteration 1/3", events);
        Assert.Contains("Advance podinfo.test canary iteration 3/3", events);
        Assert.Contains("Copying podinfo.test template spec to podinfo-primary.test", events);
        Assert.Contains("Post-rollout check notify passed", events);
        Assert.Contains("Promotion completed! Scaling down podinfo.test", events);

        // The next revision fails its rollout check at every iteration: after two failures it is rolled back, the
        // primary keeps the promoted revision and the apex Service never left it.
        hooks.AnswerAt("/rollout", new ReceiverAnswer(500, "load test failed"));
        await KubectlAsync(["-n", "test", "set", "image", "deployment/podinfo", "podinfod=stefanprodan/podinfo:1.4.2"]);
        await OperatorApp.WaitForPhaseAsync(store, "podinfo", CanaryPhase.Failed);
        Assert.Equal("stefanprodan/podinfo:1.4.1", await GetAsync("deployment", "podinfo-primary", "{.spec.template.spec.containers[0].image}"));
        Assert.Equal("0", await GetAsync("deployment", "podinfo", "{.spec.replicas}"));
        Assert.Equal("podinfo-primary", await GetAsync("service", "podinfo", "{.spec.selector.app}"));
        events = await EventsAsync("podinfo");
        Assert.Contains("Rolling back podinfo.test failed checks threshold reached 2", events);
        Assert.Contains("Canary failed! Scaling down podinfo.test", events);
        Assert.Equal(2, hooks.At("/pre").Count);
        Assert.Equal(2, hooks.At("/post").Count);
        Assert.Equal("Failed", hooks.At("/post")[^1].Json().GetProperty("phase").GetString());
        await app.StopAsync(Ct);
    }

    [Fact]
    public async Task A_daemonset_gets_a_primary_daemonset_is_promoted_and_is_given_back_when_its_canary_is_deleted()
    {
        await KubectlAsync(["apply", "-f", "-"], Namespace + DaemonSet);
        await using var app = await StartOperatorAsync();
        var store = app.Services.GetRequiredService<ICanaryStore>();
        await KubectlAsync(["apply", "-f", "-"], CanaryFor("DaemonSet", "podinfo-ds", revertOnDeletion: true));
        await OperatorApp.WaitForPhaseAsync(store, "podinfo-ds", CanaryPhase.Initialized);

        // A DaemonSet has no replicas: the target is parked by a node selector no node matches.
        Assert.Equal("stefanprodan/podinfo:1.4.0", await GetAsync("daemonset", "podinfo-ds-primary", "{.spec.template.spec.containers[0].image}"));
        Assert.Equal("podinfo-ds-primary", await GetAsync("daemonset", "podinfo-ds-primary", "{.spec.selector.matchLabels.app}"));
        Assert.Equal("true", await GetAsync("daemonset", "podinfo-ds", "{.spec.template.spec.nodeSelector.flagger\\.app/scale-to-zero}"));
        Assert.Equal("podinfo-ds-primary", await GetAsync("service", "podinfo-ds", "{.spec.selector.app}"));

        await KubectlAsync(["-n", "test", "set", "image", "daemonset/podinfo-ds", "podinfod=stefanprodan/podinfo:1.4.1"]);
        await OperatorApp.WaitForStatusAsync(store, "podinfo-ds", s => s.Phase == CanaryPhase.Progressing && s.Iterations >= 1, "the first iteration");
        Assert.Equal(string.Empty, await GetAsync("daemonset", "podinfo-ds", "{.spec.template.spec.nodeSelector.flagger\\.app/scale-to-zero}"));
        Assert.Equal("podinfo-ds-primary", await GetAsync("service", "podinfo-ds", "{.spec.selector.app}"));

        await OperatorApp.WaitForPhaseAsync(store, "podinfo-ds", CanaryPhase.Succeeded);
        Assert.Equal("stefanprodan/podinfo:1.4.1", await GetAsync("daemonset", "podinfo-ds-primary", "{.spec.template.spec.containers[0].image}"));
        Assert.Equal("true", await GetAsync("daemonset", "podinfo-ds", "{.spec.template.spec.nodeSelector.flagger\\.app/scale-to-zero}"));
        Assert.Single(hooks.At("/pre"));
        Assert.Single(hooks.At("/post"));
        Assert.Contains("Advance podinfo-ds.test canary iteration 3/3", await EventsAsync("podinfo-ds"));

        // revertOnDeletion: kubectl delete waits for the operator's finalizer; the DaemonSet runs again.
        await KubectlAsync(["-n", "test", "delete", "canary", "podinfo-ds", "--timeout=60s"]);
        Assert.Equal(string.Empty, await GetAsync("daemonset", "podinfo-ds", "{.spec.template.spec.nodeSelector.flagger\\.app/scale-to-zero}"));
        await WaitAsync(async () => await GetAsync("daemonset", "podinfo-ds", "{.status.numberReady}") is { Length: > 0 } ready && ready != "0", "the DaemonSet's pods to be ready again");
        await app.StopAsync(Ct);
    }

    [Fact]
    public async Task An_hpa_target_gets_a_primary_hpa_on_the_primary_that_follows_the_hpa_at_promotion()
    {
        await KubectlAsync(["apply", "-f", "-"], Namespace + Deployment + Hpa);
        await using var app = await StartOperatorAsync();
        var store = app.Services.GetRequiredService<ICanaryStore>();
        await KubectlAsync(["apply", "-f", "-"], CanaryFor("Deployment", "podinfo", autoscaler: true));
        await OperatorApp.WaitForPhaseAsync(store, "podinfo", CanaryPhase.Initialized);

        Assert.Equal("Deployment/podinfo-primary 2-4 99", await GetAsync("hpa", "podinfo-primary", "{.spec.scaleTargetRef.kind}/{.spec.scaleTargetRef.name} {.spec.minReplicas}-{.spec.maxReplicas} {.spec.metrics[0].resource.target.averageUtilization}"));
        Assert.Equal("Canary/podinfo", await GetAsync("hpa", "podinfo-primary", "{.metadata.ownerReferences[0].kind}/{.metadata.ownerReferences[0].name}"));

        // The user changes the HPA with the next revision; the primary's HPA takes the change when it is promoted.
        await KubectlAsync(["-n", "test", "patch", "hpa", "podinfo", "--type", "json", "--patch", """[{"op":"replace","path":"/spec/metrics/0/resource/target/averageUtilization","value":50},{"op":"replace","path":"/spec/maxReplicas","value":6}]"""]);
        await KubectlAsync(["-n", "test", "set", "image", "deployment/podinfo", "podinfod=stefanprodan/podinfo:1.4.1"]);
        await OperatorApp.WaitForPhaseAsync(store, "podinfo", CanaryPhase.Succeeded);

        Assert.Equal("stefanprodan/podinfo:1.4.1", await GetAsync("deployment", "podinfo-primary", "{.spec.template.spec.containers[0].image}"));
        Assert.Equal("Deployment/podinfo-primary 2-6 50", await GetAsync("hpa", "podinfo-primary", "{.spec.scaleTargetRef.kind}/{.spec.scaleTargetRef.name} {.spec.minReplicas}-{.spec.maxReplicas} {.spec.metrics[0].resource.target.averageUtilization}"));
        Assert.Equal("Deployment/podinfo 2-6 50", await GetAsync("hpa", "podinfo", "{.spec.scaleTargetRef.kind}/{.spec.scaleTargetRef.name} {.spec.minReplicas}-{.spec.maxReplicas} {.spec.metrics[0].resource.target.averageUtilization}"));
        await app.StopAsync(Ct);
    }

    private async Task<WebApplication> StartOperatorAsync()
    {
        // Flagger's kubernetes e2e installation: -mesh-provider=kubernetes, app.kubernetes.io labels copied.
        var app = OperatorHost.Build(
            ["-kubeconfig", kubeconfig, "-mesh-provider=kubernetes", "-include-label-prefix=app.kubernetes.io", "-port", "0", "-log-level", "warning"],
            services => services.Configure<EngineOptions>(o => o.MinimumInterval = TimeSpan.FromSeconds(1)));
        await OperatorHost.StartAsync(app, Ct);
        return app;
    }

    private const string Namespace = """
        apiVersion: v1
        kind: Namespace
        metadata:
          name: test
        ---

        """;

    private const string Template = """
          template:
            metadata:
              labels: { app: APP }
            spec:
              containers:
              - name: podinfod
                image: stefanprodan/podinfo:1.4.0
                ports:
                - { containerPort: 9898, name: http, protocol: TCP }
                - { containerPort: 9797, name: http-metrics, protocol: TCP }
        """;

    private static readonly string Deployment = """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: podinfo
          namespace: test
          labels: { app.kubernetes.io/name: podinfo }
        spec:
          replicas: 2
          selector:
            matchLabels: { app: podinfo }

        """ + Template.Replace("APP", "podinfo", StringComparison.Ordinal) + "\n---\n";

    private static readonly string DaemonSet = """
        apiVersion: apps/v1
        kind: DaemonSet
        metadata:
          name: podinfo-ds
          namespace: test
        spec:
          selector:
            matchLabels: { app: podinfo-ds }

        """ + Template.Replace("APP", "podinfo-ds", StringComparison.Ordinal) + "\n---\n";

    private const string Hpa = """
        apiVersion: autoscaling/v2
        kind: HorizontalPodAutoscaler
        metadata:
          name: podinfo
          namespace: test
        spec:
          scaleTargetRef: { apiVersion: apps/v1, kind: Deployment, name: podinfo }
          minReplicas: 2
          maxReplicas: 4
          metrics:
          - type: Resource
            resource:
              name: cpu
              target: { type: Utilization, averageUtilization: 99 }

        """;

    private string CanaryFor(string kind, string name, bool revertOnDeletion = false, bool autoscaler = false) => $$"""
        apiVersion: flagger.app/v1beta1
        kind: Canary
        metadata:
          name: {{name}}
          namespace: test
        spec:
          provider: kubernetes
          revertOnDeletion: {{(revertOnDeletion ? "true" : "false")}}
          targetRef: { apiVersion: apps/v1, kind: {{kind}}, name: {{name}} }
        {{(autoscaler ? "  autoscalerRef: { apiVersion: autoscaling/v2, kind: HorizontalPodAutoscaler, name: podinfo }" : string.Empty)}}
          progressDeadlineSeconds: 60
          service:
            port: 80
            targetPort: 9898
            portDiscovery: true
          analysis:
            interval: 1s
            threshold: 2
            iterations: 3
            webhooks:
            - name: acceptance-test
              type: pre-rollout
              url: {{hooks.Address}}/pre
            - name: load-test
              url: {{hooks.Address}}/rollout
            - name: notify
              type: post-rollout
              url: {{hooks.Address}}/post
        """;

    private Task<string> GetAsync(string kind, string name, string jsonPath) =>
        KubectlAsync(["-n", "test", "get", kind, name, "-o", $"jsonpath={jsonPath}"]);

    private async Task<IReadOnlyList<string>> EventsAsync(string canary) =>
        (await KubectlAsync(["-n", "test", "get", "events", "--field-selector", $"involvedObject.kind=Canary,involvedObject.name={canary}", "-o", "jsonpath={range .items[*]}{.message}{\"\\n\"}{end}"]))
        .Split('\n', StringSplitOptions.RemoveEmptyEntries);

    private Task<string> KubectlAsync(string[] arguments, string? stdin = null) => Kubectl.RunAsync(kubeconfig, arguments, Ct, stdin);

    private static async Task WaitAsync(Func<Task<bool>> reached, string what)
    {
        for (var attempt = 0; attempt < 300; attempt++)
        {
            if (await reached())
            {
                return;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200), Ct);
        }

        Assert.Fail($"waited 60s for {what}");
    }
}
