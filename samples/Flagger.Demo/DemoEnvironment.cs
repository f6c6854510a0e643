using System.Globalization;
using Flagger.Events;
using Flagger.GatewayApi;
using Flagger.Hosting;
using Flagger.Hosting.Logging;
using Flagger.Istio;
using Flagger.LoadTester;
using Flagger.Metrics;
using Flagger.Notifications;
using Flagger.Prometheus;
using Flagger.Providers;
using Flagger.Testing;
using Flagger.Testing.Dns;
using Flagger.Testing.Mesh;
using Flagger.Testing.Pods;
using Flagger.Testing.Prometheus;
using Flagger.Webhooks;
using k8s;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Logging.Console;

namespace Flagger.Demo;

/// <summary>
/// Everything the walkthrough runs on, in one process: the embedded cluster on a scaled clock, the simulated mesh,
/// the load tester standing in for the <c>flagger-loadtester</c> pods, and the operator as it runs in production,
/// talking to the cluster through KubernetesClient.
/// </summary>
internal sealed partial class DemoEnvironment : IAsyncDisposable
{
    /// <summary>The operator as the walkthrough's helm install leaves it, so that <c>kubectl -n istio-system logs deployment/flagger</c> finds it.</summary>
    private const string FlaggerDeployment = """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: flagger, namespace: OPERATOR_NAMESPACE, labels: {app: flagger}}
        spec:
          replicas: 1
          selector: {matchLabels: {app: flagger}}
          template:
            metadata: {labels: {app: flagger}}
            spec:
              serviceAccountName: flagger
              containers:
              - name: flagger
                image: flagger-dotnet:demo
                args: [-mesh-provider=istio, -metrics-server=http://prometheus.istio-system:9090]
                ports: [{name: http, containerPort: 8080}]
        """;

    private readonly List<Func<ValueTask>> stops = [];
    private readonly PodLogFeed operatorLog;

    private DemoEnvironment(DemoOptions options, TextWriter output, Timeline? timeline)
    {
        Time = new ScaledTimeProvider(options.Speed);
        operatorLog = new PodLogFeed(Time);
        Console = new DemoConsole(output, Time);
        Timeline = timeline ?? new Timeline();
    }

    public ScaledTimeProvider Time { get; }

    public DemoConsole Console { get; }

    public Timeline Timeline { get; }

    public EmbeddedCluster Cluster { get; private set; } = null!;

    public SimulatedMesh Mesh { get; private set; } = null!;

    public IKubernetes Client { get; private set; } = null!;

    /// <summary>The Prometheus the demo started (no <c>--prometheus</c> and the executable installed), else null.</summary>
    public EmbeddedPrometheus? Prometheus { get; private set; }

    /// <summary>Where the mesh's series are served for <c>--prometheus</c>, else null.</summary>
    public Uri? Exporter { get; private set; }

    public static async Task<DemoEnvironment> StartAsync(DemoOptions options, TextWriter output, CancellationToken cancellationToken, Timeline? timeline = null)
    {
        var environment = new DemoEnvironment(options, output, timeline);
        try
        {
            await environment.StartPartsAsync(options, cancellationToken).ConfigureAwait(false);
            return environment;
        }
        catch
        {
            await environment.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        for (var i = stops.Count - 1; i >= 0; i--)
        {
            await stops[i]().ConfigureAwait(false);
        }
    }

    private async Task StartPartsAsync(DemoOptions options, CancellationToken cancellationToken)
    {
        Cluster = await EmbeddedCluster.StartAsync(ClusterOptions(options, Time), cancellationToken).ConfigureAwait(false);
        stops.Add(Cluster.DisposeAsync);
        Client = Cluster.CreateClient();
        stops.Add(() => { Client.Dispose(); return ValueTask.CompletedTask; });
        Mesh = SimulatedMesh.Start(Cluster);
        stops.Add(() => { Mesh.Dispose(); return ValueTask.CompletedTask; });
        Cluster.Apply($"apiVersion: v1\nkind: Namespace\nmetadata: {{name: {options.OperatorNamespace}}}\n");
        Cluster.Apply(FlaggerDeployment.Replace("OPERATOR_NAMESPACE", options.OperatorNamespace, StringComparison.Ordinal));
        var attached = Cluster.PodLogs.AttachBySelector(options.OperatorNamespace, "app=flagger", operatorLog);
        stops.Add(() => { attached.Dispose(); return ValueTask.CompletedTask; });

        var loadTester = LoadTesterHost.Build(["--urls=http://127.0.0.1:0", "--Logging:LogLevel:Default=Warning"], new PodShellCommandRunner(Cluster, Client), LoadTesterLog);
        await loadTester.StartAsync(cancellationToken).ConfigureAwait(false);
        stops.Add(loadTester.DisposeAsync);
        // The walkthrough's Service, and any Service in front of Flagger's load tester image (kustomize/tester).
        var served = Cluster.Dns.Serve("test", "flagger-loadtester", Address(loadTester));
        var byImage = Cluster.Dns.ServeImage("flagger-loadtester", Address(loadTester));
        stops.Add(() => { byImage.Dispose(); return ValueTask.CompletedTask; });
        stops.Add(() => { served.Dispose(); return ValueTask.CompletedTask; });
        await StartPrometheusAsync(options, cancellationToken).ConfigureAwait(false);

        if (options.Prometheus is not null)
        {
            var exporter = WebApplication.CreateSlimBuilder(["--Logging:LogLevel:Default=Warning"]);
            exporter.WebHost.UseUrls(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{options.ExporterPort}"));
            var app = exporter.Build();
            app.MapGet("/metrics", () => Results.Text(IstioExposition.Write(Mesh.Counters()), IstioExposition.ContentType));
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
            stops.Add(app.DisposeAsync);
            Exporter = new Uri(Address(app), "/metrics");
        }

        var host = BuildOperator(options);
        await host.StartAsync(cancellationToken).ConfigureAwait(false);
        ServeOperatorEndpoints(options, Address(host));
        stops.Add(async () =>
        {
            using var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await host.StopAsync(stopping.Token).ConfigureAwait(false);
            await host.DisposeAsync().ConfigureAwait(false);
        });
    }

    /// <summary>The operator as <c>samples/Flagger.Operator</c> composes it, on the cluster, the scaled clock and the mesh.</summary>
    private WebApplication BuildOperator(DemoOptions options)
    {
        var builder = WebApplication.CreateSlimBuilder(["--urls=http://127.0.0.1:0"]);
        builder.Logging.ClearProviders();
        // The console shows errors only (the demo prints the events itself); the flagger pod's log gets Flagger's
        // JSON lines, as kubectl logs deployment/flagger | jq .msg reads them in the walkthrough.
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true)
            .AddFlaggerJsonWriter(operatorLog.CreateWriter(), Time)
            .SetMinimumLevel(LogLevel.Information)
            .AddFilter<ConsoleLoggerProvider>(null, LogLevel.Error)
            .AddFilter("Microsoft", LogLevel.Warning)
            .AddFilter("System.Net.Http.HttpClient", LogLevel.Warning);
        var services = builder.Services;
        services.AddSingleton<TimeProvider>(Time);
        services.AddSingleton(Client);
        services.AddSingleton(Mesh);
        services.AddSingleton(Console);
        services.AddSingleton(Timeline);
        var flagger = services
            .AddFlagger(o => o.MetricsServer = options.Prometheus?.ToString().TrimEnd('/') ?? "http://prometheus.istio-system:9090", h => h.Version = "demo")
            .AddKubernetes(o =>
            {
                o.ClientConfiguration = Cluster.CreateClientConfiguration();
                foreach (var prefix in options.IncludeLabelPrefixes)
                {
                    o.IncludeLabelPrefixes.Add(prefix);
                }
            })
            .AddIstio()
            .AddGatewayApi()
            .AddNotifications()                                                         // slack, msteams, discord, rocket, gchat
            .AddEventForwarding();                                                      // each event as a log line too
        if (options.Prometheus is not null || Prometheus is not null)
        {
            // The query timeout is on the scaled clock too; keep it five wall-clock seconds.
            flagger.AddPrometheus(o => o.Timeout = TimeSpan.FromSeconds(5 * options.Speed));
        }
        else
        {
            // The simulator stands in for the prometheus provider type and answers the builtin queries that
            // AddPrometheus registers (Istio's and the application's series); registered first, it is the one kept
            // (providers are added only when missing).
            IMetricsProviderFactory simulator = options.Judge == "sequential" ? new SimulatedMeshComparisonData(Mesh) : new SimulatedApplicationMetrics(Mesh);
            flagger.AddProvider("prometheus", simulator).AddPrometheus();
        }

        services.AddEmbeddedClusterDns(Cluster.Dns, options.OperatorNamespace);
        services.Decorate<IEventRecorder, PrintingEventRecorder>();
        var app = builder.Build();
        app.MapFlaggerEndpoints();                                                      // /metrics /healthz /readyz
        return app;
    }

    private static Uri Address(WebApplication app) =>
        new(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
}
