using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Flagger.Analysis;
using Flagger.Model;
using Flagger.Operator;
using Flagger.Store;
using Flagger.Testing;
using Flagger.Testing.Mesh;
using Flagger.Testing.Receivers;
using Flagger.Tests.Operator;
using k8s;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Flagger.Acceptance;

/// <summary>
/// The walkthrough on <c>gatewayapi:v1</c>, end to end: the operator built from Flagger's flags, the manifests of
/// deploy/artifacts applied with kubectl, load sent through the simulated Gateway (<c>hey -host www.example.com</c>),
/// which splits it by the HTTPRoute the operator writes, and the canary judged by the real Prometheus scraping the
/// application's <c>http_request_duration_seconds</c> series. A healthy revision is promoted; a revision answering
/// 40% of requests with 5xx is rolled back. The same, with session affinity, on Istio: load sent through the simulated
/// mesh, split by the VirtualService, and judged on the sidecars' <c>istio_requests_total</c>.
/// </summary>
public sealed class OperatorGatewayApiTests : IAsyncLifetime
{
    private static readonly string Repository = FindRepository();
    private readonly string kubeconfig = Path.Combine(Path.GetTempPath(), $"flagger-gatewayapi-{Guid.NewGuid():N}.yaml");
    private readonly string prometheusDirectory = Path.Combine(Path.GetTempPath(), $"flagger-gatewayapi-prometheus-{Guid.NewGuid():N}");
    private readonly StringBuilder prometheusLog = new();
    private EmbeddedCluster cluster = null!;
    private RecordingReceiver receiver = null!;
    private SimulatedMesh mesh = null!;
    private WebApplication exporter = null!;
    private Process? prometheus;
    private Uri prometheusAddress = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        var binary = FindPrometheus() ?? throw new InvalidOperationException("prometheus not found: apt-get install prometheus");
        cluster = await EmbeddedCluster.StartAsync(
            new EmbeddedClusterOptions { InstallFlaggerCrds = false, InstallIstioCrds = false, RolloutDelay = TimeSpan.FromMilliseconds(200) }, Ct);
        cluster.WriteKubeconfig(kubeconfig);
        receiver = await RecordingReceiver.StartAsync(Ct);
        mesh = SimulatedMesh.Start(cluster, new SimulatedMeshOptions { ScrapeInterval = TimeSpan.FromSeconds(1) });

        // The pods' own metrics endpoint, as Prometheus' Kubernetes pod discovery would scrape it.
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        exporter = builder.Build();
        exporter.MapGet("/metrics", () =>
        {
            // The application's own histogram and, as a sidecar beside it would, Istio's request series.
            var counters = mesh.Counters();
            return Results.Text(ApplicationExposition.Write(counters) + IstioExposition.Write(counters), ApplicationExposition.ContentType, Encoding.UTF8);
        });
        await exporter.StartAsync(Ct);

        Directory.CreateDirectory(prometheusDirectory);
        var config = Path.Combine(prometheusDirectory, "prometheus.yml");
        await File.WriteAllTextAsync(config, $"""
            global:
              scrape_interval: 1s
            scrape_configs:
              - job_name: kubernetes-pods
                static_configs:
                  - targets: ['{OperatorApp.Address(exporter).Authority}']
            """, Ct);
        prometheusAddress = new Uri($"http://127.0.0.1:{FreePort().ToString(CultureInfo.InvariantCulture)}");
        var start = new ProcessStartInfo(binary) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false, WorkingDirectory = prometheusDirectory };
        foreach (var argument in new[] { $"--config.file={config}", $"--storage.tsdb.path={Path.Combine(prometheusDirectory, "data")}", $"--web.listen-address={prometheusAddress.Authority}" })
        {
            start.ArgumentList.Add(argument);
        }

        prometheus = Process.Start(start) ?? throw new InvalidOperationException($"could not start {binary}");
        prometheus.ErrorDataReceived += (_, e) => { lock (prometheusLog) { prometheusLog.AppendLine(e.Data); } };
        prometheus.OutputDataReceived += (_, e) => { lock (prometheusLog) { prometheusLog.AppendLine(e.Data); } };
        prometheus.BeginErrorReadLine();
        prometheus.BeginOutputReadLine();
    }

    public async ValueTask DisposeAsync()
    {
        if (prometheus is { HasExited: false })
        {
            prometheus.Kill(entireProcessTree: true);
            await prometheus.WaitForExitAsync();
        }

        prometheus?.Dispose();
        await exporter.DisposeAsync();
        mesh.Dispose();
        await receiver.DisposeAsync();
        await cluster.DisposeAsync();
        File.Delete(kubeconfig);
        try
        {
            Directory.Delete(prometheusDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp directory is harmless.
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Through_a_Gateway_the_operator_promotes_a_healthy_revision_and_rolls_back_a_faulty_one(bool sessionAffinity)
    {
        await KubectlAsync("apply", "-f", Path.Combine(Repository, "deploy/crds"));
        foreach (var file in new[] { "namespaces/test.yaml", "gatewayapi/gateway.yaml", "canaries/deployment.yaml", "canaries/hpa.yaml" })
        {
            await KubectlAsync("apply", "-f", Path.Combine(Repository, "deploy/artifacts", file));
        }

        await cluster.WaitForControllersAsync(Ct);
        Assert.Null(mesh.SendToGateway(new Uri("http://gateway-istio.istio-ingress/"), "www.example.com", 50, TimeSpan.FromMinutes(10), "test"));
        await using var app = OperatorHost.Build(
            ["-kubeconfig", kubeconfig, "-metrics-server", prometheusAddress.ToString(), "-mesh-provider=istio", "-event-webhook", $"{receiver.Address}/events", "-port", "0", "-log-level", "warning"],
            services => services.Configure<EngineOptions>(o => o.MinimumInterval = TimeSpan.FromSeconds(1)));
        await OperatorHost.StartAsync(app, Ct);
        var store = app.Services.GetRequiredService<ICanaryStore>();

        await Kubectl.RunAsync(kubeconfig, ["apply", "-f", "-"], Ct, Canary(receiver.Address, sessionAffinity));
        await OperatorApp.WaitForPhaseAsync(store, "podinfo", CanaryPhase.Initialized);
        var route = await KubectlAsync("-n", "test", "get", "httproute", "podinfo", "-o", "jsonpath={.spec.hostnames[0]} {.spec.rules[0].backendRefs[*].weight} {.status.parents[0].conditions[0].type}={.status.parents[0].conditions[0].status}");
        Assert.Equal("www.example.com 100 0 Accepted=True", route);

        await KubectlAsync("-n", "test", "set", "image", "deployment/podinfo", "podinfod=stefanprodan/podinfo:1.4.1");
        if (sessionAffinity)
        {
            // While the canary takes traffic its responses set the cookie, and a rule sends the cookie's holders to it.
            await OperatorApp.WaitForStatusAsync(store, "podinfo", s => s.CanaryWeight > 0, "a canary weight");
            var rules = await KubectlAsync("-n", "test", "get", "httproute", "podinfo", "-o", "jsonpath={range .spec.rules[*]}{.matches[0].headers[0].name} {.backendRefs[*].weight} {.backendRefs[1].filters[0].responseHeaderModifier.add[0].value};{end}");
            Assert.Matches(@"^Cookie 0 100 ; \d+ \d+ flagger-cookie=[a-zA-Z]{10}; Max-Age=21600;$", rules);
        }

        await OperatorApp.WaitForPhaseAsync(store, "podinfo", CanaryPhase.Succeeded);
        if (sessionAffinity)
        {
            // Promoted: the cookie's holders are answered by the primary, which expires the cookie.
            var expiry = await KubectlAsync("-n", "test", "get", "httproute", "podinfo", "-o", "jsonpath={.spec.rules[0].backendRefs[*].weight} {.spec.rules[0].filters[0].responseHeaderModifier.add[0].value}");
            Assert.Matches("^100 0 flagger-cookie=[a-zA-Z]{10}; Max-Age=-1$", expiry);
        }

        // The next revision answers 40% of requests with 5xx, as the pods of the demo's faulty revision do.
        await KubectlAsync("-n", "test", "set", "image", "deployment/podinfo", "podinfod=stefanprodan/podinfo:1.4.2");
        await KubectlAsync("-n", "test", "set", "env", "deployment/podinfo", "FLAGGER_SIM_ERROR_PERCENT=40");
        await OperatorApp.WaitForPhaseAsync(store, "podinfo", CanaryPhase.Failed);

        using var client = cluster.CreateClient();
        var primary = await client.AppsV1.ReadNamespacedDeploymentAsync("podinfo-primary", "test", cancellationToken: Ct);
        Assert.Equal("stefanprodan/podinfo:1.4.1", primary.Spec.Template.Spec.Containers[0].Image);
        Assert.Equal("100 0", await KubectlAsync("-n", "test", "get", "httproute", "podinfo", "-o", "jsonpath={.spec.rules[0].backendRefs[*].weight}"));
        var events = receiver.At("/events").Select(p => p.Json().GetProperty("metadata").GetProperty("eventMessage").GetString() ?? string.Empty).ToList();
        Assert.Contains("Advance podinfo.test canary weight 50", events);
        Assert.Contains("Promotion completed! Scaling down podinfo.test", events);
        Assert.Contains(events, e => e.StartsWith("Halt podinfo.test advancement success rate ", StringComparison.Ordinal) && e.EndsWith("% < 99%", StringComparison.Ordinal));
        Assert.Contains("Rolling back podinfo.test failed checks threshold reached 10", events);
        Assert.Contains("Canary failed! Scaling down podinfo.test", events);

        // The canary's share of the Gateway's traffic reached the canary pods and nothing else: the primary kept its own.
        var canaryTraffic = mesh.Counters().Single(c => c.Workload == "podinfo");
        Assert.True(canaryTraffic.Failed > 0 && canaryTraffic.Failed < canaryTraffic.Total, $"{canaryTraffic.Failed} of {canaryTraffic.Total} canary requests failed");
        await app.StopAsync(Ct);
    }

    [Fact]
    public async Task On_Istio_session_affinity_keeps_the_cookies_holders_on_the_canary_then_expires_the_cookie_and_a_faulty_revision_is_rolled_back()
    {
        await KubectlAsync("apply", "-f", Path.Combine(Repository, "deploy/crds"));
        foreach (var file in new[] { "namespaces/test.yaml", "canaries/deployment.yaml", "canaries/hpa.yaml" })
        {
            await KubectlAsync("apply", "-f", Path.Combine(Repository, "deploy/artifacts", file));
        }

        await cluster.WaitForControllersAsync(Ct);
        await using var app = OperatorHost.Build(
            ["-kubeconfig", kubeconfig, "-metrics-server", prometheusAddress.ToString(), "-mesh-provider=istio", "-event-webhook", $"{receiver.Address}/events", "-port", "0", "-log-level", "warning"],
            services => services.Configure<EngineOptions>(o => o.MinimumInterval = TimeSpan.FromSeconds(1)));
        await OperatorHost.StartAsync(app, Ct);
        var store = app.Services.GetRequiredService<ICanaryStore>();

        await Kubectl.RunAsync(kubeconfig, ["apply", "-f", "-"], Ct, IstioCanary(receiver.Address));
        await OperatorApp.WaitForPhaseAsync(store, "podinfo", CanaryPhase.Initialized);

        // The apex Service exists once the operator initialised the canary: the load goes through it from then on.
        Assert.Null(mesh.Send(new Uri("http://podinfo.test:9898/"), 50, TimeSpan.FromMinutes(10), "test"));
        await KubectlAsync("-n", "test", "set", "image", "deployment/podinfo", "podinfod=stefanprodan/podinfo:1.4.1");

        // While the canary takes traffic its responses set the cookie, and a first route sends the cookie's holders to it.
        await OperatorApp.WaitForStatusAsync(store, "podinfo", s => s.CanaryWeight > 0, "a canary weight");
        var routes = await KubectlAsync("-n", "test", "get", "virtualservice", "podinfo", "-o", "jsonpath={range .spec.http[*]}{.match[0].headers.Cookie.regex} {.route[*].weight} {.route[1].headers.response.add.Set-Cookie};{end}");
        var affinity = System.Text.RegularExpressions.Regex.Match(routes, @"^\.\*flagger-cookie\.\*([a-zA-Z]{10})\.\* 0 100 ; \d+ \d+ flagger-cookie=([a-zA-Z]{10}); Max-Age=21600;$");
        Assert.True(affinity.Success, routes);
        Assert.Equal(affinity.Groups[1].Value, affinity.Groups[2].Value);

        // Promoted: the cookie's holders are answered by the primary, which expires the cookie.
        await OperatorApp.WaitForPhaseAsync(store, "podinfo", CanaryPhase.Succeeded);
        var expiry = await KubectlAsync("-n", "test", "get", "virtualservice", "podinfo", "-o", "jsonpath={.spec.http[0].route[*].weight} {.spec.http[0].headers.response.add.Set-Cookie}");
        Assert.Equal($"100 0 flagger-cookie={affinity.Groups[1].Value}; Max-Age=-1", expiry);

        // The next revision answers 40% of requests with 5xx.
        await KubectlAsync("-n", "test", "set", "image", "deployment/podinfo", "podinfod=stefanprodan/podinfo:1.4.2");
        await KubectlAsync("-n", "test", "set", "env", "deployment/podinfo", "FLAGGER_SIM_ERROR_PERCENT=40");
        await OperatorApp.WaitForPhaseAsync(store, "podinfo", CanaryPhase.Failed);

        using var client = cluster.CreateClient();
        var primary = await client.AppsV1.ReadNamespacedDeploymentAsync("podinfo-primary", "test", cancellationToken: Ct);
        Assert.Equal("stefanprodan/podinfo:1.4.1", primary.Spec.Template.Spec.Containers[0].Image);
        var rolledBack = await KubectlAsync("-n", "test", "get", "virtualservice", "podinfo", "-o", "jsonpath={.spec.http[-1:].route[*].weight}");
        Assert.Equal("100 0", rolledBack);
        var events = receiver.At("/events").Select(p => p.Json().GetProperty("metadata").GetProperty("eventMessage").GetString() ?? string.Empty).ToList();
        Assert.Contains("Promotion completed! Scaling down podinfo.test", events);
        Assert.Contains(events, e => e.StartsWith("Halt podinfo.test advancement success rate ", StringComparison.Ordinal) && e.EndsWith("% < 99%", StringComparison.Ordinal));
        Assert.Contains("Rolling back podinfo.test failed checks threshold reached 10", events);
        var canaryTraffic = mesh.Counters().Single(c => c.Workload == "podinfo");
        Assert.True(canaryTraffic.Failed > 0 && canaryTraffic.Failed < canaryTraffic.Total, $"{canaryTraffic.Failed} of {canaryTraffic.Total} canary requests failed");
        await app.StopAsync(Ct);
    }

    /// <summary>The walkthrough's canary (deploy/artifacts/canaries/canary.yaml) with session affinity and the timings above.</summary>
    private static string IstioCanary(string receiver) =>
        File.ReadAllText(Path.Combine(Repository, "deploy/artifacts/canaries/canary.yaml"))
            .Replace("  canaryAnalysis:\n", "  canaryAnalysis:\n    sessionAffinity:\n      cookieName: flagger-cookie\n      maxAge: 21600\n", StringComparison.Ordinal)
            .Replace("interval: 1m\n    # max number", "interval: 1s\n    # max number", StringComparison.Ordinal)
            .Replace("threshold: 5\n", "threshold: 10\n", StringComparison.Ordinal)
            .Replace("threshold: 99\n      interval: 1m", "threshold: 99\n      interval: 10s", StringComparison.Ordinal)
            .Replace("interval: 30s", "interval: 10s", StringComparison.Ordinal)
            .Replace("http://flagger-loadtester.test/", $"{receiver}/load-test", StringComparison.Ordinal);

    /// <summary>
    /// deploy/artifacts/gatewayapi/canary.yaml with a 1s interval and 10s metric windows; the first ticks of each run
    /// may find no canary samples yet (traffic reaches it only once the route gives it weight), so ten failed checks
    /// roll it back instead of five. The load-test hook goes to the loopback receiver: the Gateway already has load.
    /// </summary>
    private static string Canary(string receiver, bool sessionAffinity) =>
        File.ReadAllText(Path.Combine(Repository, "deploy/artifacts/gatewayapi/canary.yaml"))
            .Replace("  analysis:\n", sessionAffinity ? "  analysis:\n    sessionAffinity:\n      cookieName: flagger-cookie\n      maxAge: 21600\n" : "  analysis:\n", StringComparison.Ordinal)
            .Replace("interval: 1m\n    # max number", "interval: 1s\n    # max number", StringComparison.Ordinal)
            .Replace("threshold: 5", "threshold: 10", StringComparison.Ordinal)
            .Replace("interval: 1m\n      - name: request-duration", "interval: 10s\n      - name: request-duration", StringComparison.Ordinal)
            .Replace("interval: 30s", "interval: 10s", StringComparison.Ordinal)
            .Replace("http://flagger-loadtester.test/", $"{receiver}/load-test", StringComparison.Ordinal);

    private Task<string> KubectlAsync(params string[] arguments) => Kubectl.RunAsync(kubeconfig, arguments, Ct);

    private static string? FindPrometheus() =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Append("/usr/bin")
            .Select(d => Path.Combine(d, "prometheus"))
            .FirstOrDefault(File.Exists);

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string FindRepository()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Flagger.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"no Flagger.slnx above {AppContext.BaseDirectory}");
    }
}
