using System.Text.Json;
using Flagger.Analysis;
using Flagger.Model;
using Flagger.Operator;
using Flagger.Store;
using Flagger.Testing;
using Flagger.Tests.Operator;
using Microsoft.Extensions.DependencyInjection;

namespace Flagger.Acceptance;

/// <summary>
/// <c>spec.revertOnDeletion</c> end to end, as Flagger's own e2e test checks it: the operator on the embedded
/// cluster takes over a user's Service and VirtualService, the Canary is deleted with kubectl, and the cluster is
/// given back as it was: the target scaled up again, the apex Service selecting the target's pods, the
/// VirtualService as the user applied it.
/// </summary>
public sealed class RevertOnDeletionTests : IAsyncLifetime
{
    private readonly string kubeconfig = Path.Combine(Path.GetTempPath(), $"flagger-revert-{Guid.NewGuid():N}.yaml");
    private EmbeddedCluster cluster = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        cluster = await EmbeddedCluster.StartAsync(new EmbeddedClusterOptions { RolloutDelay = TimeSpan.FromMilliseconds(200) }, Ct);
        cluster.WriteKubeconfig(kubeconfig);
    }

    public async ValueTask DisposeAsync()
    {
        await cluster.DisposeAsync();
        File.Delete(kubeconfig);
    }

    [Fact]
    public async Task Deleting_a_canary_with_revertOnDeletion_scales_the_target_up_and_gives_back_the_service_and_virtualservice()
    {
        await KubectlAsync(["apply", "-f", "-"], UserObjects);
        var userRoute = await JsonAsync("virtualservice", "podinfo");
        await using var app = OperatorHost.Build(
            ["-kubeconfig", kubeconfig, "-mesh-provider=istio", "-port", "0", "-log-level", "warning"],
            services => services.Configure<EngineOptions>(o => o.MinimumInterval = TimeSpan.FromSeconds(1)));
        await OperatorHost.StartAsync(app, Ct);
        var store = app.Services.GetRequiredService<ICanaryStore>();

        await KubectlAsync(["apply", "-f", "-"], Canary);
        await OperatorApp.WaitForPhaseAsync(store, "podinfo", CanaryPhase.Initialized);

        // The canary took over: the target parked at zero, the user's Service selecting the primary, the finalizer on.
        Assert.Equal("0", await KubectlAsync(["-n", "test", "get", "deployment", "podinfo", "-o", "jsonpath={.spec.replicas}"]));
        Assert.Equal("podinfo-primary", await KubectlAsync(["-n", "test", "get", "service", "podinfo", "-o", "jsonpath={.spec.selector.app}"]));
        Assert.Equal("finalizer.flagger.app", await KubectlAsync(["-n", "test", "get", "canary", "podinfo", "-o", "jsonpath={.metadata.finalizers[*]}"]));
        Assert.NotEqual(Spec(userRoute), Spec(await JsonAsync("virtualservice", "podinfo")));

        // kubectl delete waits until the Canary is gone, that is until the operator removed its finalizer.
        await KubectlAsync(["-n", "test", "delete", "canary", "podinfo", "--timeout=60s"]);

        Assert.Equal("2", await KubectlAsync(["-n", "test", "get", "deployment", "podinfo", "-o", "jsonpath={.spec.replicas}"]));
        Assert.Equal("podinfo", await KubectlAsync(["-n", "test", "get", "service", "podinfo", "-o", "jsonpath={.spec.selector.app}"]));
        var pods = await KubectlAsync(["-n", "test", "get", "pods", "-l", "app=podinfo", "-o", "jsonpath={.items[*].metadata.name}"]);
        Assert.Equal(2, pods.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Equal(Spec(userRoute), Spec(await JsonAsync("virtualservice", "podinfo")));
        // The last event follows the finalizer's removal, so kubectl delete can return before it is recorded.
        var events = string.Empty;
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            events = await KubectlAsync(["-n", "test", "get", "events", "--field-selector", "involvedObject.kind=Canary,involvedObject.name=podinfo", "-o", "jsonpath={range .items[*]}{.message}{\"\\n\"}{end}"]);
            if (events.Contains("Terminated canary", StringComparison.Ordinal) || waited.Elapsed > TimeSpan.FromSeconds(15))
            {
                break;
            }

            await Task.Delay(200, Ct);
        }

        Assert.Contains("Terminating canary podinfo.test", events, StringComparison.Ordinal);
        Assert.Contains("Reverting podinfo.test: deployment podinfo.test scaled back up", events, StringComparison.Ordinal);
        Assert.Contains("Reverting podinfo.test: Service podinfo.test selects the target's pods", events, StringComparison.Ordinal);
        Assert.Contains("Reverting podinfo.test: istio routing restored", events, StringComparison.Ordinal);
        Assert.Contains("Terminated canary podinfo.test", events, StringComparison.Ordinal);
        await app.StopAsync(Ct);
    }

    [Fact]
    public async Task Turning_revertOnDeletion_off_removes_the_finalizer_and_the_canary_is_deleted_as_before()
    {
        await KubectlAsync(["apply", "-f", "-"], UserObjects);
        await using var app = OperatorHost.Build(
            ["-kubeconfig", kubeconfig, "-mesh-provider=istio", "-port", "0", "-log-level", "warning"],
            services => services.Configure<EngineOptions>(o => o.MinimumInterval = TimeSpan.FromSeconds(1)));
        await OperatorHost.StartAsync(app, Ct);
        var store = app.Services.GetRequiredService<ICanaryStore>();
        await KubectlAsync(["apply", "-f", "-"], Canary);
        await OperatorApp.WaitForPhaseAsync(store, "podinfo", CanaryPhase.Initialized);

        await KubectlAsync(["-n", "test", "patch", "canary", "podinfo", "--type=merge", "-p", "{\"spec\":{\"revertOnDeletion\":false}}"]);
        await WaitAsync(async () => await KubectlAsync(["-n", "test", "get", "canary", "podinfo", "-o", "jsonpath={.metadata.finalizers[*]}"]) == string.Empty, "the finalizer to go");
        await KubectlAsync(["-n", "test", "delete", "canary", "podinfo", "--timeout=60s"]);

        // Without revertOnDeletion the target stays where the canary left it, as in Flagger.
        Assert.Equal("0", await KubectlAsync(["-n", "test", "get", "deployment", "podinfo", "-o", "jsonpath={.spec.replicas}"]));
        await app.StopAsync(Ct);
    }

    private const string UserObjects = """
        apiVersion: v1
        kind: Namespace
        metadata:
          name: test
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: podinfo
          namespace: test
          labels: { app: podinfo }
        spec:
          replicas: 2
          selector:
            matchLabels: { app: podinfo }
          template:
            metadata:
              labels: { app: podinfo }
            spec:
              containers:
              - name: podinfod
                image: stefanprodan/podinfo:1.4.0
                ports:
                - { containerPort: 9898, name: http, protocol: TCP }
        ---
        apiVersion: v1
        kind: Service
        metadata:
          name: podinfo
          namespace: test
        spec:
          selector: { app: podinfo }
          ports:
          - { name: http, port: 9898, targetPort: 9898, protocol: TCP }
        ---
        apiVersion: networking.istio.io/v1beta1
        kind: VirtualService
        metadata:
          name: podinfo
          namespace: test
        spec:
          hosts: [podinfo]
          http:
          - route:
            - destination: { host: podinfo }
        """;

    private const string Canary = """
        apiVersion: flagger.app/v1beta1
        kind: Canary
        metadata:
          name: podinfo
          namespace: test
        spec:
          revertOnDeletion: true
          targetRef:
            apiVersion: apps/v1
            kind: Deployment
            name: podinfo
          service:
            port: 9898
          analysis:
            interval: 1s
            threshold: 5
            maxWeight: 50
            stepWeight: 10
        """;

    private static string Spec(JsonElement obj) => obj.GetProperty("spec").GetRawText();

    private async Task<JsonElement> JsonAsync(string kind, string name) =>
        JsonDocument.Parse(await KubectlAsync(["-n", "test", "get", kind, name, "-o", "json"])).RootElement.Clone();

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
