using System.Globalization;
using System.Text.Json;
using Flagger.Model;
using Flagger.Testing;
using Flagger.Testing.Mesh;
using k8s;

namespace Flagger.Reliability.Harness;

/// <summary>
/// The world the reliability runs happen in: the embedded cluster and the simulated mesh on one scaled clock,
/// <c>N</c> apps (a Deployment and its Canary each) with steady traffic to their canary Services, and a client of
/// the harness's own that fault rules leave alone (it plays the user, not the operator).
/// </summary>
public sealed class ReliabilityCluster : IAsyncDisposable
{
    /// <summary>Namespace of every app.</summary>
    public const string Namespace = "apps";

    /// <summary>User-Agent of the harness's client; fault rules exempt it.</summary>
    public const string HarnessAgent = "flagger-reliability-harness";

    /// <summary>The canaries' analysis interval, on the scaled clock.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(15);

    private readonly string kubeconfig = Path.Combine(Path.GetTempPath(), $"flagger-reliability-{Guid.NewGuid():N}.yaml");

    private ReliabilityCluster(ScaledTimeProvider time, EmbeddedCluster cluster, SimulatedMesh mesh, IKubernetes client)
    {
        Time = time;
        Cluster = cluster;
        Mesh = mesh;
        Client = client;
        cluster.WriteKubeconfig(kubeconfig);
    }

    /// <summary>The scaled clock shared by the cluster, the mesh and every operator instance.</summary>
    public ScaledTimeProvider Time { get; }

    /// <summary>The embedded cluster (its <see cref="EmbeddedCluster.Faults"/> is where chaos is injected).</summary>
    public EmbeddedCluster Cluster { get; }

    /// <summary>The simulated mesh the canaries' metrics come from.</summary>
    public SimulatedMesh Mesh { get; }

    /// <summary>The harness's client (never faulted).</summary>
    public IKubernetes Client { get; }

    /// <summary>kubeconfig of the cluster, for the operator's <c>-kubeconfig</c> flag.</summary>
    public string Kubeconfig => kubeconfig;

    /// <summary>The apps created so far.</summary>
    public IReadOnlyList<string> Apps { get; private set; } = [];

    /// <summary>Starts the cluster and mesh on a clock <paramref name="speed"/> times faster than the wall clock.</summary>
    public static async Task<ReliabilityCluster> StartAsync(double speed, int faultSeed, CancellationToken cancellationToken)
    {
        var time = new ScaledTimeProvider(speed);
        var cluster = await EmbeddedCluster.StartAsync(
            new EmbeddedClusterOptions { TimeProvider = time, RolloutDelay = TimeSpan.FromSeconds(2), FaultSeed = faultSeed },
            cancellationToken).ConfigureAwait(false);
        var mesh = SimulatedMesh.Start(cluster);
        var configuration = cluster.CreateClientConfiguration();
        configuration.UserAgent = HarnessAgent;
        return new ReliabilityCluster(time, cluster, mesh, new k8s.Kubernetes(configuration));
    }

    /// <summary>True for requests of the harness itself, which fault rules must not touch.</summary>
    public static bool IsHarness(ApiRequestInfo request) =>
        request.UserAgent?.Contains(HarnessAgent, StringComparison.Ordinal) == true;

    /// <summary>
    /// Creates <paramref name="count"/> apps at revision 0 (healthy); <paramref name="hookOf"/> gives app <c>i</c> a rollout
    /// webhook, and <paramref name="alertProvider"/> names an AlertProvider every app alerts.
    /// </summary>
    public void CreateApps(int count, Func<int, AnalysisHook?>? hookOf = null, string? alertProvider = null)
    {
        Cluster.Apply($"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {Namespace}\n");
        var apps = new List<string>();
        for (var i = 0; i < count; i++)
        {
            var app = string.Create(CultureInfo.InvariantCulture, $"app-{i}");
            Cluster.Apply(Deployment(app, revision: 0, faulty: false), Namespace);
            Cluster.Apply(CanaryYaml(app, hookOf?.Invoke(i), alertProvider), Namespace);
            apps.Add(app);
        }

        Apps = apps;
    }

    /// <summary>
    /// Starts steady traffic to each app's canary Service (as the walkthrough's load tester does), once the operator
    /// has created the Services. Returns false while some are missing.
    /// </summary>
    public bool TryStartTraffic(IEnumerable<string> apps)
    {
        foreach (var app in apps)
        {
            var url = new Uri($"http://{app}-canary.{Namespace}:9898/");
            if (Mesh.ResolveService(url.Host, Namespace) is null)
            {
                return false;
            }
        }

        foreach (var app in apps)
        {
            Mesh.Send(new Uri($"http://{app}-canary.{Namespace}:9898/"), 20, TimeSpan.FromDays(1), Namespace);
        }

        return true;
    }

    /// <summary>Writes revision <paramref name="revision"/> of <paramref name="app"/>; a faulty one answers 60% 5xx.</summary>
    public void SetRevision(string app, int revision, bool faulty) => Cluster.Apply(Deployment(app, revision, faulty), Namespace);

    /// <summary>Every Canary in the apps namespace, read through the harness's client.</summary>
    public async Task<IReadOnlyDictionary<string, Canary>> ReadCanariesAsync(CancellationToken cancellationToken)
    {
        var list = (JsonElement)await Client.CustomObjects.ListNamespacedCustomObjectAsync("flagger.app", "v1beta1", Namespace, "canaries", cancellationToken: cancellationToken).ConfigureAwait(false);
        return list.GetProperty("items").EnumerateArray()
            .Select(e => FlaggerJson.DeserializeCanary(e.GetRawText()))
            .ToDictionary(c => c.Name, StringComparer.Ordinal);
    }

    /// <summary>One Canary, read through the harness's client.</summary>
    public async Task<Canary> ReadCanaryAsync(string app, CancellationToken cancellationToken)
    {
        var item = (JsonElement)await Client.CustomObjects.GetNamespacedCustomObjectAsync("flagger.app", "v1beta1", Namespace, "canaries", app, cancellationToken).ConfigureAwait(false);
        return FlaggerJson.DeserializeCanary(item.GetRawText());
    }

    /// <summary>The revision the primary Deployment of <paramref name="app"/> runs (from its <c>REVISION</c> env var).</summary>
    public async Task<int?> PrimaryRevisionAsync(string app, CancellationToken cancellationToken)
    {
        var primary = await Client.AppsV1.ReadNamespacedDeploymentAsync($"{app}-primary", Namespace, cancellationToken: cancellationToken).ConfigureAwait(false);
        var value = primary.Spec.Template.Spec.Containers[0].Env?.FirstOrDefault(e => e.Name == "REVISION")?.Value;
        return int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var revision) ? revision : null;
    }

    /// <summary>Scaled time now.</summary>
    public DateTimeOffset Now => Time.GetUtcNow();

    /// <summary>Waits <paramref name="span"/> of scaled time.</summary>
    public Task DelayAsync(TimeSpan span, CancellationToken cancellationToken) => Task.Delay(span, Time, cancellationToken);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        Mesh.Dispose();
        Client.Dispose();
        await Cluster.DisposeAsync().ConfigureAwait(false);
        File.Delete(kubeconfig);
    }

    private static string Deployment(string app, int revision, bool faulty) => string.Create(CultureInfo.InvariantCulture, $$"""
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: {{app}}
          labels:
            app: {{app}}
        spec:
          replicas: 1
          selector:
            matchLabels:
              app: {{app}}
          template:
            metadata:
              labels:
                app: {{app}}
            spec:
              containers:
              - name: app
                image: podinfo:rev-{{revision}}
                ports:
                - containerPort: 9898
                  name: http
                env:
                - name: REVISION
                  value: "{{revision}}"
                - name: FLAGGER_SIM_ERROR_PERCENT
                  value: "{{(faulty ? 60 : 0)}}"
        """);

    // stepWeight 25 to maxWeight 50: two weight advances per run, so the spacing of advances can be checked; a
    // threshold of 2 tolerates one empty metric window but a faulty revision fails every check.
    private static string CanaryYaml(string app, AnalysisHook? hook, string? alertProvider)
    {
        var alerts = alertProvider is null ? string.Empty : $$"""

                alerts:
                - name: on-call
                  providerRef:
                    name: {{alertProvider}}
            """;
        var hooks = hook is null ? string.Empty : $$"""

                webhooks:
                - name: {{hook.Name}}
                  url: {{hook.Url}}
                  timeout: {{hook.Timeout}}
            """;
        return $$"""
            apiVersion: flagger.app/v1beta1
            kind: Canary
            metadata:
              name: {{app}}
            spec:
              targetRef:
                apiVersion: apps/v1
                kind: Deployment
                name: {{app}}
              progressDeadlineSeconds: 600
              service:
                port: 9898
              analysis:
                interval: {{(int)Interval.TotalSeconds}}s
                threshold: 2
                maxWeight: 50
                stepWeight: 25
                metrics:
                - name: request-success-rate
                  thresholdRange:
                    min: 95
                  interval: 30s{{hooks}}{{alerts}}
            """;
    }
}

/// <summary>A rollout webhook of an app's analysis.</summary>
/// <param name="Name">The hook's name (it appears in the events).</param>
/// <param name="Url">Where it posts.</param>
/// <param name="Timeout">Its timeout, a Go duration on the scaled clock.</param>
public sealed record AnalysisHook(string Name, Uri Url, string Timeout);
