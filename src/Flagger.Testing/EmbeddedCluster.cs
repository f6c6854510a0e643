using System.Globalization;
using System.Text.Json.Nodes;
using Flagger.Testing.Api;
using Flagger.Testing.Dns;
using Flagger.Testing.Pods;
using Flagger.Testing.Simulation;
using Flagger.Testing.Storage;
using k8s;

namespace Flagger.Testing;

/// <summary>
/// An in-process Kubernetes API server on loopback HTTP plus a simulated controller-manager. The real
/// <c>KubernetesClient</c> and the real <c>kubectl</c> talk to it as to a cluster.
/// </summary>
/// <example>
/// <code>
/// await using var cluster = await EmbeddedCluster.StartAsync();
/// IKubernetes client = cluster.CreateClient();
/// cluster.WriteKubeconfig("/tmp/kubeconfig"); // for kubectl --kubeconfig /tmp/kubeconfig
/// </code>
/// </example>
public sealed partial class EmbeddedCluster : IAsyncDisposable
{
    private readonly ApiServer _server;
    private readonly ControllerManager? _controllers;
    private readonly GatewayController? _gateways;

    private EmbeddedCluster(EmbeddedClusterOptions options)
    {
        Options = options;
        Store = new ObjectStore(new ResourceRegistry(), options.TimeProvider, options.WatchHistoryLimit);
        Faults = new FaultInjector(options.FaultSeed);
        Faults.OnDropWatches(Store.DropWatches);
        Requests = new RequestCounters();
        PodLogs = new PodLogs();
        PodNetwork = new PodNetwork(Store);
        Dns = new ClusterDns(Store);
        PodNetwork.Use(Dns.ForwardAsync);
        _server = new ApiServer(Store, Faults, Requests, options.BookmarkInterval, PodLogs, PodNetwork);
        if (options.SimulateControllers)
        {
            _controllers = new ControllerManager(Store, options);
            _gateways = new GatewayController(Store);
        }
    }

    /// <summary>The options the cluster was started with.</summary>
    public EmbeddedClusterOptions Options { get; }

    /// <summary>The API server's address, e.g. <c>http://127.0.0.1:41234/</c>.</summary>
    public Uri BaseAddress => _server.BaseAddress;

    /// <summary>Fault injection: failing, hanging or slow requests and dropped watches.</summary>
    public FaultInjector Faults { get; }

    /// <summary>Requests served so far, per verb and resource.</summary>
    public RequestCounters Requests { get; }

    /// <summary>
    /// Where pods' logs come from (<c>kubectl logs</c>): attach a <see cref="PodLogFeed"/> to the pods of a label
    /// selector or name prefix; a pod with none has an empty log.
    /// </summary>
    public PodLogs PodLogs { get; }

    /// <summary>
    /// The pod network that <c>curl</c> in <c>kubectl exec</c> uses: cluster DNS resolution of Services, then
    /// middleware attached with <see cref="PodNetwork.Use"/> (a mesh), then the workload's own answer.
    /// </summary>
    public PodNetwork PodNetwork { get; }

    /// <summary>Commands added to the pods' shell (<c>kubectl exec</c>, <see cref="ExecAsync"/>); the simulated mesh adds <c>hey</c>.</summary>
    public PodCommands PodCommands => PodNetwork.Commands;

    /// <summary>
    /// Cluster DNS for processes outside the pods (the operator, a test): register in-process apps behind Services
    /// with <see cref="ClusterDns.Serve"/>, then resolve with <see cref="ClusterDnsHandler"/> or
    /// <see cref="ClusterDnsServiceCollectionExtensions.AddEmbeddedClusterDns"/>.
    /// </summary>
    public ClusterDns Dns { get; }

    internal ObjectStore Store { get; }

    /// <summary>Starts a cluster with default options: the one line a provider author's test needs.</summary>
    /// <returns>The running cluster; dispose it to stop.</returns>
    public static Task<EmbeddedCluster> StartAsync() => StartAsync(new EmbeddedClusterOptions(), CancellationToken.None);

    /// <summary>Starts a cluster with default options.</summary>
    /// <param name="cancellationToken">Cancels start-up.</param>
    /// <returns>The running cluster; dispose it to stop.</returns>
    public static Task<EmbeddedCluster> StartAsync(CancellationToken cancellationToken) =>
        StartAsync(new EmbeddedClusterOptions(), cancellationToken);

    /// <summary>Starts a cluster.</summary>
    /// <param name="options">Clock, port, controller simulation and the other knobs.</param>
    /// <param name="cancellationToken">Cancels start-up.</param>
    /// <returns>The running cluster; dispose it to stop.</returns>
    public static async Task<EmbeddedCluster> StartAsync(EmbeddedClusterOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var cluster = new EmbeddedCluster(options);
        var namespaces = cluster.Store.Registry.Find("", "v1", "namespaces")!;
        foreach (var ns in options.Namespaces)
        {
            cluster.Store.Create(namespaces, null, new JsonObject { ["metadata"] = new JsonObject { ["name"] = ns } }, dryRun: false);
        }

        var nodes = cluster.Store.Registry.Find("", "v1", "nodes")!;
        for (var i = 0; i < options.NodeCount; i++)
        {
            cluster.Store.Create(nodes, null, Nodes.Create(i), dryRun: false);
        }

        var crds = cluster.Store.Registry.Find("apiextensions.k8s.io", "v1", "customresourcedefinitions")!;
        foreach (var crd in BundledCrds.Load(g => (g == "flagger.app" && options.InstallFlaggerCrds) || (g == "networking.istio.io" && options.InstallIstioCrds)
            || (g == Mesh.GatewayApi.Group && options.InstallGatewayApiCrds)))
        {
            cluster.Store.Create(crds, null, crd, dryRun: false);
        }

        cluster._controllers?.Start();
        cluster._gateways?.Start();
        await cluster._server.StartAsync(options.Port, cancellationToken).ConfigureAwait(false);
        return cluster;
    }

    /// <summary>
    /// Starts a cluster, writes a kubeconfig for it to <paramref name="kubeconfigPath"/>, prints the address and
    /// runs until <paramref name="cancellationToken"/> is cancelled (what <c>serve --cluster-only</c> runs).
    /// </summary>
    /// <param name="kubeconfigPath">Where to write the kubeconfig.</param>
    /// <param name="output">Where to print the address; null for the console.</param>
    /// <param name="options">Cluster options; null for the defaults.</param>
    /// <param name="cancellationToken">Stops the cluster.</param>
    /// <returns>The process exit code: 0.</returns>
    public static async Task<int> ServeAsync(string kubeconfigPath, TextWriter? output = null, EmbeddedClusterOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(kubeconfigPath);
        output ??= Console.Out;
        await using var cluster = await StartAsync(options ?? new EmbeddedClusterOptions(), cancellationToken).ConfigureAwait(false);
        cluster.WriteKubeconfig(kubeconfigPath);
        await output.WriteLineAsync($"Embedded Kubernetes API server listening on {cluster.BaseAddress}").ConfigureAwait(false);
        await output.WriteLineAsync($"kubeconfig written to {Path.GetFullPath(kubeconfigPath)}; try: kubectl --kubeconfig {kubeconfigPath} get ns").ConfigureAwait(false);
        await output.WriteLineAsync("Press Ctrl-C to stop.").ConfigureAwait(false);
        try
        {
            await Task.Delay(Timeout.InfiniteTimeSpan, TimeProvider.System, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Ctrl-C: a normal stop.
        }

        return 0;
    }

    /// <summary>A client configuration pointing at this cluster.</summary>
    /// <returns>A configuration with the host set; no credentials are needed.</returns>
    public KubernetesClientConfiguration CreateClientConfiguration() => new() { Host = BaseAddress.ToString().TrimEnd('/') };

    /// <summary>A ready <see cref="IKubernetes"/> client for this cluster; the caller disposes it.</summary>
    /// <returns>A new client.</returns>
    public IKubernetes CreateClient() => new Kubernetes(CreateClientConfiguration());

    /// <summary>The kubeconfig YAML for this cluster (context <c>flagger-embedded</c>).</summary>
    /// <param name="defaultNamespace">Namespace of the context.</param>
    /// <returns>kubeconfig text.</returns>
    public string KubeconfigYaml(string defaultNamespace = "default") => string.Create(CultureInfo.InvariantCulture, $"""
        apiVersion: v1
        kind: Config
        clusters:
        - name: flagger-embedded
          cluster:
            server: {BaseAddress.ToString().TrimEnd('/')}
        users:
        - name: flagger-embedded
          user:
            # The server ignores credentials; KubernetesClient refuses a user without any.
            token: flagger-embedded
        contexts:
        - name: flagger-embedded
          context:
            cluster: flagger-embedded
            user: flagger-embedded
            namespace: {defaultNamespace}
        current-context: flagger-embedded

        """);

    /// <summary>Writes <see cref="KubeconfigYaml"/> to a file, creating its directory.</summary>
    /// <param name="path">Target file.</param>
    /// <param name="defaultNamespace">Namespace of the context.</param>
    public void WriteKubeconfig(string path, string defaultNamespace = "default")
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null)
        {
            Directory.CreateDirectory(directory);
        }

        File.WriteAllText(path, KubeconfigYaml(defaultNamespace));
    }

    /// <summary>
    /// Applies YAML manifests (one or more documents) in-process, like <c>kubectl apply</c> without pruning:
    /// missing objects are created, existing ones are JSON-merge-patched with the document. Handy to load
    /// <c>deploy/artifacts</c> into a test or demo cluster without kubectl.
    /// </summary>
    /// <param name="yaml">The manifests.</param>
    /// <param name="defaultNamespace">Namespace for namespaced objects that name none.</param>
    /// <returns>One line per object in kubectl's words, e.g. <c>deployment.apps/podinfo created</c>.</returns>
    /// <exception cref="InvalidOperationException">A document's kind is not served (is its CRD installed?) or is rejected.</exception>
    public IReadOnlyList<string> Apply(string yaml, string defaultNamespace = "default")
    {
        ArgumentNullException.ThrowIfNull(yaml);
        var results = new List<string>();
        foreach (var document in YamlDocuments.Parse(yaml))
        {
            var apiVersion = Meta.Str(document["apiVersion"]) ?? "";
            var kind = Meta.Str(document["kind"]) ?? "";
            var slash = apiVersion.IndexOf('/', StringComparison.Ordinal);
            var (group, version) = slash < 0 ? ("", apiVersion) : (apiVersion[..slash], apiVersion[(slash + 1)..]);
            var type = Store.Registry.FindByKind(group, version, kind)
                       ?? throw new InvalidOperationException($"no resource serves {kind} in {apiVersion}; is its CRD installed?");
            var ns = type.Namespaced ? Meta.Namespace(document) ?? defaultNamespace : null;
            var name = Meta.Name(document);
            var label = $"{type.Kind.ToLowerInvariant()}{(type.Group.Length == 0 ? "" : "." + type.Group)}/{name}";
            try
            {
                if (Store.TryGet(type, ns, name) is null)
                {
                    Store.Create(type, ns, document, dryRun: false);
                    results.Add($"{label} created");
                }
                else
                {
                    var before = Store.Get(type, ns, name);
                    var after = Store.Patch(type, ns, name, o => (JsonObject)Patching.JsonMergePatch.Apply(o, document)!, statusOnly: false, dryRun: false);
                    results.Add($"{label} {(Meta.ResourceVersion(before) == Meta.ResourceVersion(after) ? "unchanged" : "configured")}");
                }
            }
            catch (ApiException e)
            {
                throw new InvalidOperationException($"{label}: {e.Message}", e);
            }
        }

        return results;
    }

    /// <summary>Applies every <c>.yaml</c>/<c>.yml</c> file of a directory (sorted by name), or one file.</summary>
    /// <param name="path">A manifest file or a directory of them.</param>
    /// <param name="defaultNamespace">Namespace for namespaced objects that name none.</param>
    /// <returns>One line per object, as <see cref="Apply"/>.</returns>
    public IReadOnlyList<string> ApplyPath(string path, string defaultNamespace = "default")
    {
        IEnumerable<string> files = Directory.Exists(path)
            ? Directory.GetFiles(path).Where(f => f.EndsWith(".yaml", StringComparison.Ordinal) || f.EndsWith(".yml", StringComparison.Ordinal)).Order(StringComparer.Ordinal)
            : [path];
        return [.. files.SelectMany(f => Apply(File.ReadAllText(f), defaultNamespace))];
    }

    /// <summary>
    /// Runs <c>sh -c <paramref name="command"/></c> in a pod, as <c>kubectl exec POD -- sh -c COMMAND</c> does, and
    /// returns what it printed and its exit code. The pod need not exist (a load tester's commands run this way).
    /// </summary>
    /// <param name="ns">The pod's namespace (the DNS search domain of its requests).</param>
    /// <param name="pod">The pod's name.</param>
    /// <param name="command">A shell line: pipes, <c>&amp;&amp;</c>, <c>||</c>, quotes.</param>
    /// <param name="cancellationToken">Interrupts the command.</param>
    /// <returns>Exit code and output.</returns>
    public async Task<PodExecResult> ExecAsync(string ns, string pod, string command, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(command);
        var stdout = new System.Text.StringBuilder();
        var stderr = new System.Text.StringBuilder();
        var terminal = new ShellTerminal(tty: false, (channel, text, _) =>
        {
            lock (stdout)
            {
                (channel == 2 ? stderr : stdout).Append(text);
            }

            return Task.CompletedTask;
        });
        terminal.EndOfInput();
        var shell = new PodShell(ns, pod, terminal, PodNetwork, Store.Time);
        var exitCode = await shell.ExecAsync(["sh", "-c", command], cancellationToken).ConfigureAwait(false);
        lock (stdout)
        {
            return new PodExecResult(exitCode, stdout.ToString(), stderr.ToString());
        }
    }

    /// <summary>Forgets the watch history, so a watch resuming from any earlier resourceVersion gets 410 Gone.</summary>
    public void CompactWatchHistory() => Store.CompactHistory();

    /// <summary>
    /// Waits until the simulated controllers have handled every change and due timer so far. With a
    /// <c>FakeTimeProvider</c>: advance the clock, then await this before asserting on workload status.
    /// </summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>A task that completes when the controllers are idle.</returns>
    public async Task WaitForControllersAsync(CancellationToken cancellationToken = default)
    {
        if (_controllers is not null)
        {
            await _controllers.SettleAsync(cancellationToken).ConfigureAwait(false);
        }

        if (_gateways is not null)
        {
            await _gateways.SettleAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Open watch streams right now (useful to wait until an informer is watching).</summary>
    public int ActiveWatches => Store.WatcherCount;

    /// <summary>Stops the simulated controllers and the API server.</summary>
    /// <returns>A task that completes when stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        if (_controllers is not null)
        {
            await _controllers.DisposeAsync().ConfigureAwait(false);
        }

        if (_gateways is not null)
        {
            await _gateways.DisposeAsync().ConfigureAwait(false);
        }

        await _server.DisposeAsync().ConfigureAwait(false);
    }
}
