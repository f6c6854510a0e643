using Flagger.Analysis;
using Flagger.Kubernetes.Client;
using Flagger.Model;
using Flagger.Operator;
using Flagger.Testing;
using Flagger.Tests.Model;
using k8s;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Flagger.Cli.Tests.Fixtures;

/// <summary>
/// The embedded cluster with the walkthrough's test namespace and podinfo Deployment, the operator as production builds
/// it (1s intervals, cross-namespace references blocked, no metrics server), a kubeconfig file for the CLI and kubectl,
/// and the typed client the CLI itself uses, for the tests' own waits.
/// </summary>
internal sealed class CliCluster : IAsyncDisposable
{
    /// <summary>A canary a short release goes through: two steps of 25% at one-second intervals, no metrics.</summary>
    public const string Canary = """
        {"apiVersion":"flagger.app/v1beta1","kind":"Canary","metadata":{"name":"podinfo","namespace":"test"},
         "spec":{"targetRef":{"apiVersion":"apps/v1","kind":"Deployment","name":"podinfo"},
                 "service":{"port":9898},
                 "analysis":{"interval":"1s","threshold":2,"maxWeight":50,"stepWeight":25}}}
        """;

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private readonly IKubernetes kubernetes;

    private CliCluster(EmbeddedCluster cluster, string kubeconfig, WebApplication app)
    {
        Cluster = cluster;
        Kubeconfig = kubeconfig;
        Operator = app;
        kubernetes = cluster.CreateClient();
        Client = new FlaggerClient(kubernetes);
    }

    public EmbeddedCluster Cluster { get; }

    public string Kubeconfig { get; }

    public WebApplication Operator { get; }

    public FlaggerClient Client { get; }

    public IKubernetes Kubernetes => kubernetes;

    /// <summary>KUBECONFIG for a process that should find this cluster as its current context.</summary>
    public IReadOnlyDictionary<string, string?> Environment => new Dictionary<string, string?> { ["KUBECONFIG"] = Kubeconfig };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static async Task<CliCluster> StartAsync(bool withOperator = true)
    {
        var cluster = await EmbeddedCluster.StartAsync(new EmbeddedClusterOptions { RolloutDelay = TimeSpan.FromMilliseconds(200) }, Ct);
        var kubeconfig = Path.Combine(Path.GetTempPath(), $"flagger-cli-{Guid.NewGuid():N}.yaml");
        cluster.WriteKubeconfig(kubeconfig, defaultNamespace: "test");
        cluster.ApplyPath(Path.Combine(Repository.Root, "deploy/artifacts/namespaces/test.yaml"));
        cluster.ApplyPath(Path.Combine(Repository.Root, "deploy/artifacts/canaries/deployment.yaml"), "test");
        var app = OperatorHost.Build(
            ["-kubeconfig", kubeconfig, "-mesh-provider=istio", "-metrics-server", "http://127.0.0.1:1", "-no-cross-namespace-refs=true", "-port", "0", "-log-level", "error"],
            services => services.Configure<EngineOptions>(o => o.MinimumInterval = TimeSpan.FromSeconds(1)));
        if (withOperator)
        {
            await OperatorHost.StartAsync(app, Ct);
        }

        return new CliCluster(cluster, kubeconfig, app);
    }

    /// <summary>Runs <c>flagger ARGS</c> with this cluster as the current kubeconfig context (namespace test).</summary>
    public Task<CliResult> FlaggerAsync(params string[] args) => CliProcess.RunFlaggerAsync(Environment, args);

    /// <summary>A Deployment named <paramref name="name"/> like podinfo, and a canary for it (edited by <paramref name="edit"/>).</summary>
    public async Task CreateCanaryAsync(string name, string? edit = null)
    {
        if (name != "podinfo")
        {
            var deployment = JsonEdit.Apply(
                await DeploymentJsonAsync("podinfo"),
                $"metadata.name=\"{name}\" & metadata.resourceVersion- & metadata.uid- & status- & spec.selector.matchLabels.app=\"{name}\" & spec.template.metadata.labels.app=\"{name}\"");
            Cluster.Apply(deployment, "test");
        }

        var canary = JsonEdit.Apply(Canary, $"metadata.name=\"{name}\" & spec.targetRef.name=\"{name}\"");
        Cluster.Apply(edit is null ? canary : JsonEdit.Apply(canary, edit), "test");
    }

    /// <summary>A new revision: the Deployment's image changed, as <c>kubectl set image</c> does.</summary>
    public async Task ReleaseAsync(string name, string image) =>
        Cluster.Apply(JsonEdit.Set(await DeploymentJsonAsync(name), "spec.template.spec.containers[0].image", $"\"{image}\""), "test");

    public Task<Canary> WaitForPhaseAsync(string name, CanaryPhase phase) => Client.WaitForPhaseAsync("test", name, phase, Patience, Ct);

    public async Task<string> DeploymentJsonAsync(string name)
    {
        var deployment = await kubernetes.AppsV1.ReadNamespacedDeploymentAsync(name, "test", cancellationToken: Ct);
        return KubernetesJson.Serialize(deployment);
    }

    public async ValueTask DisposeAsync()
    {
        await Operator.DisposeAsync();
        kubernetes.Dispose();
        await Cluster.DisposeAsync();
        File.Delete(Kubeconfig);
    }
}
