using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Flagger.Kubernetes.Caches;
using Flagger.Kubernetes.Configs;
using Flagger.Model;
using Flagger.Testing;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using YamlDotNet.RepresentationModel;

namespace Flagger.Kubernetes;

/// <summary>
/// The embedded API server with virtual time, a real client, and the watch-fed caches the adapters read; helpers to
/// apply the walkthrough's manifests and wait until the caches have caught up with the server.
/// </summary>
internal sealed class KubeCluster : IAsyncDisposable
{
    private KubeCluster(EmbeddedCluster cluster, FakeTimeProvider clock, KubernetesOptions options)
    {
        Cluster = cluster;
        Clock = clock;
        Client = cluster.CreateClient();
        Options = Microsoft.Extensions.Options.Options.Create(options);
        Cache = new ClusterCache(Client, options.Namespace, TimeProvider.System, NullLogger.Instance);
        Configs = new ConfigTracker(Client, Cache, Options);
    }

    public EmbeddedCluster Cluster { get; }

    public FakeTimeProvider Clock { get; }

    public IKubernetes Client { get; }

    public IOptions<KubernetesOptions> Options { get; }

    public ClusterCache Cache { get; }

    public ConfigTracker Configs { get; }

    public static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static string RepoRoot { get; } = FindRepoRoot();

    public static async Task<KubeCluster> StartAsync(Action<KubernetesOptions>? configure = null)
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 28, 12, 0, 0, TimeSpan.Zero));
        var cluster = await EmbeddedCluster.StartAsync(new EmbeddedClusterOptions { TimeProvider = clock, FaultSeed = 7 }, Ct);
        var options = new KubernetesOptions();
        configure?.Invoke(options);
        var kube = new KubeCluster(cluster, clock, options);
        await kube.ApplyAsync(await File.ReadAllTextAsync(Path.Combine(RepoRoot, "deploy/artifacts/namespaces/test.yaml"), Ct));
        return kube;
    }

    /// <summary>Applies the walkthrough's podinfo Deployment, HPA (optional) and Canary, as its steps do.</summary>
    public async Task ApplyWalkthroughAsync(bool hpa = true, Func<JsonObject, JsonObject>? canary = null)
    {
        await ApplyAsync(await ArtifactAsync("canaries/deployment.yaml"));
        if (hpa)
        {
            await ApplyAsync(await ArtifactAsync("canaries/hpa.yaml"));
        }

        var body = YamlToJson(await ArtifactAsync("canaries/canary.yaml"));
        if (!hpa)
        {
            body["spec"]!.AsObject().Remove("autoscalerRef");
        }

        await ApplyAsync(canary is null ? body : canary(body));
    }

    public static Task<string> ArtifactAsync(string path) => File.ReadAllTextAsync(Path.Combine(RepoRoot, "deploy/artifacts", path), Ct);

    public Task ApplyAsync(string yaml) => ApplyAsync(YamlToJson(yaml));

    /// <summary>Creates the object through the generic API (any group), like <c>kubectl create</c>.</summary>
    public async Task ApplyAsync(JsonObject body)
    {
        var apiVersion = body["apiVersion"]!.GetValue<string>();
        var kind = body["kind"]!.GetValue<string>();
        var (group, version) = apiVersion.Contains('/', StringComparison.Ordinal) ? (apiVersion.Split('/')[0], apiVersion.Split('/')[1]) : (string.Empty, apiVersion);
        var plural = kind.ToLowerInvariant() switch
        {
            "horizontalpodautoscaler" => "horizontalpodautoscalers",
            var k when k.EndsWith('y') => k[..^1] + "ies",
            var k when k.EndsWith('s') => k + "es",
            var k => k + "s",
        };
        var ns = body["metadata"]?["namespace"]?.GetValue<string>();
        if (group.Length == 0)
        {
            // Core resources live under /api/v1, which the custom-object client cannot address.
            switch (kind)
            {
                case "Namespace": await Client.CoreV1.CreateNamespaceAsync(KubernetesJson.Deserialize<V1Namespace>(body.ToJsonString()), cancellationToken: Ct); return;
                case "ConfigMap": await Client.CoreV1.CreateNamespacedConfigMapAsync(KubernetesJson.Deserialize<V1ConfigMap>(body.ToJsonString()), ns ?? "test", cancellationToken: Ct); return;
                case "Secret": await Client.CoreV1.CreateNamespacedSecretAsync(KubernetesJson.Deserialize<V1Secret>(body.ToJsonString()), ns ?? "test", cancellationToken: Ct); return;
                case "Service": await Client.CoreV1.CreateNamespacedServiceAsync(KubernetesJson.Deserialize<V1Service>(body.ToJsonString()), ns ?? "test", cancellationToken: Ct); return;
                default: throw new NotSupportedException(kind);
            }
        }

        await Client.CustomObjects.CreateNamespacedCustomObjectAsync(body, group, version, ns ?? "test", plural, cancellationToken: Ct);
    }

    public Task<V1Deployment> DeploymentAsync(string name) => Client.AppsV1.ReadNamespacedDeploymentAsync(name, "test", cancellationToken: Ct);

    public async Task<Canary> CanaryAsync(string name = "podinfo") =>
        FlaggerJson.DeserializeCanary(((JsonElement)await Client.CustomObjects.GetNamespacedCustomObjectAsync("flagger.app", "v1beta1", "test", "canaries", name, Ct)).GetRawText());

    /// <summary>Edits a Deployment on the server, as <c>kubectl set image</c> would.</summary>
    public async Task PatchDeploymentAsync(string name, string mergePatch) =>
        await Client.AppsV1.PatchNamespacedDeploymentAsync(new V1Patch(mergePatch, V1Patch.PatchType.StrategicMergePatch), name, "test", cancellationToken: Ct);

    /// <summary>Moves virtual time, lets the simulated controllers act, and waits until the caches hold what the server holds.</summary>
    public async Task AdvanceAsync(TimeSpan by)
    {
        Clock.Advance(by);
        await SettleAsync();
    }

    public async Task SettleAsync()
    {
        await Cluster.WaitForControllersAsync(Ct);
        await Cache.SyncAsync(Ct);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            if (await CaughtUpAsync())
            {
                return;
            }

            await Task.Delay(10, Ct);
        }

        throw new TimeoutException("caches did not catch up with the server");
    }

    public async ValueTask DisposeAsync()
    {
        await Cache.DisposeAsync();
        Client.Dispose();
        await Cluster.DisposeAsync();
    }

    /// <summary>Converts YAML to JSON, typing plain scalars as YAML 1.2's core schema does.</summary>
    public static JsonObject YamlToJson(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        return (JsonObject)Convert(stream.Documents[0].RootNode)!;
    }

    private static JsonNode? Convert(YamlNode node) => node switch
    {
        YamlMappingNode map => new JsonObject(map.Children.Select(kv => KeyValuePair.Create(((YamlScalarNode)kv.Key).Value!, Convert(kv.Value)))),
        YamlSequenceNode seq => new JsonArray(seq.Children.Select(Convert).ToArray()),
        YamlScalarNode { Style: YamlDotNet.Core.ScalarStyle.Plain } s when long.TryParse(s.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) => JsonValue.Create(n),
        YamlScalarNode { Style: YamlDotNet.Core.ScalarStyle.Plain, Value: "true" or "false" } s => JsonValue.Create(s.Value == "true"),
        YamlScalarNode { Style: YamlDotNet.Core.ScalarStyle.Plain, Value: null or "null" or "~" } => null,
        YamlScalarNode s => JsonValue.Create(s.Value),
        _ => null,
    };

    private async Task<bool> CaughtUpAsync()
    {
        var deployments = await Client.AppsV1.ListNamespacedDeploymentAsync("test", cancellationToken: Ct);
        var services = await Client.CoreV1.ListNamespacedServiceAsync("test", cancellationToken: Ct);
        var maps = await Client.CoreV1.ListNamespacedConfigMapAsync("test", cancellationToken: Ct);
        var canaries = (JsonElement)await Client.CustomObjects.ListNamespacedCustomObjectAsync("flagger.app", "v1beta1", "test", "canaries", cancellationToken: Ct);
        var daemonSets = await Client.AppsV1.ListNamespacedDaemonSetAsync("test", cancellationToken: Ct);
        var hpas = (JsonElement)await Client.CustomObjects.ListNamespacedCustomObjectAsync("autoscaling", "v2", "test", "horizontalpodautoscalers", cancellationToken: Ct);
        return hpas.GetProperty("items").EnumerateArray().All(h =>
                Cache.Hpas.Get("test", h.GetProperty("metadata").GetProperty("name").GetString()!)?["metadata"]?["resourceVersion"]?.GetValue<string>() == h.GetProperty("metadata").GetProperty("resourceVersion").GetString())
            && daemonSets.Items.All(d => Cache.DaemonSets.Get("test", d.Metadata.Name)?.Metadata.ResourceVersion == d.Metadata.ResourceVersion)
            && deployments.Items.All(d => Cache.Deployments.Get("test", d.Metadata.Name)?.Metadata.ResourceVersion == d.Metadata.ResourceVersion)
            && services.Items.All(s => Cache.Services.Get("test", s.Metadata.Name)?.Metadata.ResourceVersion == s.Metadata.ResourceVersion)
            && maps.Items.All(m => Cache.ConfigMaps.Get("test", m.Metadata.Name)?.ResourceVersion == m.Metadata.ResourceVersion)
            && canaries.GetProperty("items").EnumerateArray().All(c =>
                Cache.Canaries.Get("test", c.GetProperty("metadata").GetProperty("name").GetString()!)?.Metadata.ResourceVersion == c.GetProperty("metadata").GetProperty("resourceVersion").GetString());
    }

    private static string FindRepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Flagger.slnx")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("repository root not found");
    }
}
