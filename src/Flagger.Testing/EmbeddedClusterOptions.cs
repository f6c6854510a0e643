namespace Flagger.Testing;

/// <summary>How an <see cref="EmbeddedCluster"/> behaves. Every property has a default that suits tests.</summary>
public sealed class EmbeddedClusterOptions
{
    /// <summary>
    /// The cluster's clock: creation and deletion timestamps, Event times and the simulated controller-manager's
    /// delays. Pass a <c>FakeTimeProvider</c> to drive rollouts with virtual time. Default: the system clock.
    /// </summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>TCP port on 127.0.0.1; 0 (the default) picks a free one.</summary>
    public int Port { get; init; }

    /// <summary>Run the simulated controller-manager (Deployment/DaemonSet status, HPA replicas). Default true.</summary>
    public bool SimulateControllers { get; init; } = true;

    /// <summary>
    /// How long pods of a new Deployment/DaemonSet revision take to become ready, measured on
    /// <see cref="TimeProvider"/>. Default 1 second. A pod template can override it (see the package README).
    /// </summary>
    public TimeSpan RolloutDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Simulated nodes, i.e. how many pods a DaemonSet schedules. Default 1.</summary>
    public int NodeCount { get; init; } = 1;

    /// <summary>Namespaces that exist from the start (a real cluster has the first four; Istio adds istio-system).</summary>
    public IReadOnlyList<string> Namespaces { get; init; } = ["default", "kube-system", "kube-public", "kube-node-lease", "istio-system"];

    /// <summary>
    /// How many changes the watch history keeps; resuming from an older resourceVersion answers 410 Gone.
    /// Default 10 000, or the <c>FLAGGER_TESTING_WATCH_HISTORY_LIMIT</c> environment variable, so that a client's
    /// 410 handling can be exercised against a cluster served by another process.
    /// </summary>
    public int WatchHistoryLimit { get; init; } =
        int.TryParse(Environment.GetEnvironmentVariable("FLAGGER_TESTING_WATCH_HISTORY_LIMIT"), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var limit) && limit > 0
            ? limit
            : 10_000;

    /// <summary>Wall-clock interval of BOOKMARK events on watches that allow them. Default 30 seconds.</summary>
    public TimeSpan BookmarkInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Install Flagger's CRDs (canaries, metrictemplates, alertproviders) at start. Default true.</summary>
    public bool InstallFlaggerCrds { get; init; } = true;

    /// <summary>Install the Istio CRDs (virtualservices, destinationrules, gateways) at start. Default true.</summary>
    public bool InstallIstioCrds { get; init; } = true;

    /// <summary>Install the Gateway API CRDs (gatewayclasses, gateways, httproutes; v1 and v1beta1) at start. Default true.</summary>
    public bool InstallGatewayApiCrds { get; init; } = true;

    /// <summary>
    /// The images the simulated registry has; pods of any other image wait in <c>ErrImagePull</c> /
    /// <c>ImagePullBackOff</c> and their Deployment exceeds its progress deadline. Default null: every image pulls.
    /// <c>serve</c> and the demo use <see cref="Simulation.ImageCatalogue.Default"/>.
    /// </summary>
    public Simulation.ImageCatalogue? Images { get; init; }

    /// <summary>Seed for the fault injector's random choices, for reproducible fault tests; null for a random seed.</summary>
    public int? FaultSeed { get; init; }
}
