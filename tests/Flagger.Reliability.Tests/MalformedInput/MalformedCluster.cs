using Flagger.Analysis;
using Flagger.Model;
using Flagger.Operator;
using Flagger.Reliability.Harness;
using Flagger.Store;
using Flagger.Testing;
using Flagger.Tests.Model;
using Flagger.Tests.Operator;
using k8s;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Flagger.Reliability.MalformedInput;

/// <summary>
/// The embedded cluster with the walkthrough's podinfo Deployment, the operator as production builds it (1s intervals,
/// cross-namespace references blocked, an unreachable metrics server), and the good canary that must be promoted
/// while the bad objects sit next to it.
/// </summary>
internal sealed class MalformedCluster : IAsyncDisposable
{
    public const string GoodCanary = """
        {"apiVersion":"flagger.app/v1beta1","kind":"Canary","metadata":{"name":"podinfo","namespace":"test"},
         "spec":{"targetRef":{"apiVersion":"apps/v1","kind":"Deployment","name":"podinfo"},
                 "service":{"port":9898},
                 "analysis":{"interval":"1s","threshold":5,"maxWeight":50,"stepWeight":25}}}
        """;

    private readonly string kubeconfig = Path.Combine(Path.GetTempPath(), $"flagger-malformed-{Guid.NewGuid():N}.yaml");

    private MalformedCluster(EmbeddedCluster cluster)
    {
        Cluster = cluster;
    }

    public EmbeddedCluster Cluster { get; }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static async Task<MalformedCluster> StartAsync()
    {
        var cluster = new MalformedCluster(await EmbeddedCluster.StartAsync(new EmbeddedClusterOptions { RolloutDelay = TimeSpan.FromMilliseconds(200) }, Ct));
        cluster.Cluster.WriteKubeconfig(cluster.kubeconfig);
        cluster.Cluster.ApplyPath(Path.Combine(Repository.Root, "deploy/artifacts/namespaces/test.yaml"));
        cluster.Cluster.ApplyPath(Path.Combine(Repository.Root, "deploy/artifacts/canaries/deployment.yaml"), "test");
        return cluster;
    }

    public async Task<WebApplication> StartOperatorAsync()
    {
        var app = OperatorHost.Build(
            ["-kubeconfig", kubeconfig, "-mesh-provider=istio", "-metrics-server", "http://127.0.0.1:1", "-no-cross-namespace-refs=true", "-port", "0", "-log-level", "error"],
            services => services.Configure<EngineOptions>(o => o.MinimumInterval = TimeSpan.FromSeconds(1)));
        await OperatorHost.StartAsync(app, Ct);
        return app;
    }

    /// <summary>Applies the good canary and releases a new podinfo image through it, asserting each phase.</summary>
    public async Task PromoteGoodCanaryAsync(WebApplication app)
    {
        Cluster.Apply(GoodCanary, "test");
        var store = app.Services.GetRequiredService<ICanaryStore>();
        await OperatorApp.WaitForPhaseAsync(store, "podinfo", CanaryPhase.Initialized);
        Cluster.Apply(JsonEdit.Set(await DeploymentJsonAsync("podinfo"), "spec.template.spec.containers[0].image", "\"stefanprodan/podinfo:1.4.1\""), "test");
        await OperatorApp.WaitForPhaseAsync(store, "podinfo", CanaryPhase.Succeeded);
    }

    /// <summary>The messages of the Warning events recorded on the object named <paramref name="name"/> in <c>test</c>.</summary>
    public async Task<IReadOnlyList<string>> WarningsAsync(string name)
    {
        using var client = Cluster.CreateClient();
        var events = await client.CoreV1.ListNamespacedEventAsync("test", fieldSelector: $"involvedObject.name={name}", cancellationToken: Ct);
        return [.. events.Items.Where(e => e.Type == "Warning").Select(e => e.Message)];
    }

    /// <summary>
    /// Puts back the Canary CRD's duration patterns as Flagger's own CRD writes them, <c>^[0-9]+(m|s)</c>, anchored
    /// at the start only, and drops the bounds on retries, as a cluster that still runs Flagger's CRD has them.
    /// </summary>
    public async Task InstallUnanchoredDurationPatternsAsync()
    {
        using var client = Cluster.CreateClient();
        var crd = await client.ApiextensionsV1.ReadCustomResourceDefinitionAsync("canaries.flagger.app", cancellationToken: Ct);
        var json = KubernetesJson.Serialize(crd);
        var unanchored = System.Text.RegularExpressions.Regex.Replace(json, "\"pattern\":\"\\^\\(\\[0-9\\][^\"]*\\$\"", "\"pattern\":\"^[0-9]+(m|s)\"");
        unanchored = unanchored.Replace("\"maximum\":10,", string.Empty, StringComparison.Ordinal).Replace(",\"maximum\":10", string.Empty, StringComparison.Ordinal);
        Assert.NotEqual(json, unanchored);
        await client.ApiextensionsV1.ReplaceCustomResourceDefinitionAsync(KubernetesJson.Deserialize<k8s.Models.V1CustomResourceDefinition>(unanchored), "canaries.flagger.app", cancellationToken: Ct);
    }

    public async Task<string> DeploymentJsonAsync(string name)
    {
        using var client = Cluster.CreateClient();
        var deployment = await client.AppsV1.ReadNamespacedDeploymentAsync(name, "test", cancellationToken: Ct);
        return KubernetesJson.Serialize(deployment);
    }

    public async ValueTask DisposeAsync()
    {
        await Cluster.DisposeAsync();
        File.Delete(kubeconfig);
    }
}
