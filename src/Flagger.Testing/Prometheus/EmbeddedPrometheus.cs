using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Flagger.Testing.Mesh;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Flagger.Testing.Prometheus;

/// <summary>
/// A real Prometheus (the <c>prometheus</c> executable) that scrapes a <see cref="SimulatedMesh"/>'s Istio series
/// and the application's <c>http_request_duration_seconds</c>, and answers any PromQL, served in the cluster as Service <c>prometheus</c> in <c>istio-system</c> so that
/// <c>http://prometheus.istio-system:9090</c> reaches it through <see cref="Dns.ClusterDns"/>.
/// </summary>
/// <remarks>
/// Simulated time runs faster than Prometheus' clock. Samples are therefore written with the simulated time they
/// were scraped at (moved back by a fixed offset, because Prometheus refuses samples from its future), and the
/// query address evaluates every query at the simulated now: <c>[1m]</c> is one simulated minute and <c>rate()</c>
/// is per simulated second. Result timestamps are moved back to simulated time. The package README says what
/// this costs.
/// </remarks>
public sealed class EmbeddedPrometheus : IAsyncDisposable
{
    /// <summary>Path on <see cref="Address"/>'s server where Prometheus scrapes the mesh.</summary>
    internal const string ScrapePath = "/mesh/metrics";

    private readonly StringBuilder _log = new();
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"flagger-embedded-prometheus-{Guid.NewGuid():N}");
    private readonly PrometheusClock _clock;
    private readonly SimulatedMesh _mesh;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(60) };
    private readonly List<IDisposable> _registrations = [];
    private WebApplication? _front;
    private Process? _process;

    private EmbeddedPrometheus(SimulatedMesh mesh)
    {
        _mesh = mesh;
        _clock = new PrometheusClock(mesh.Time);
    }

    /// <summary>The address that answers queries in simulated time (what the cluster's Service serves).</summary>
    public Uri Address { get; private set; } = null!;

    /// <summary>The Prometheus process itself; its time axis is simulated time moved back by 400 days.</summary>
    public Uri ServerAddress { get; private set; } = null!;

    /// <summary>The <c>prometheus</c> executable on <c>PATH</c> or in <c>/usr/bin</c>, or null when none is installed.</summary>
    /// <returns>Its path, or null.</returns>
    public static string? FindBinary() =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Append("/usr/bin")
            .Select(d => Path.Combine(d, "prometheus"))
            .FirstOrDefault(File.Exists);

    /// <summary>
    /// Starts Prometheus scraping <paramref name="mesh"/>, creates its Service in <paramref name="cluster"/> and
    /// registers it with the cluster's DNS; returns once it answers queries.
    /// </summary>
    /// <param name="cluster">The cluster to create the Service in.</param>
    /// <param name="mesh">The mesh whose series it scrapes; its clock is the simulated time.</param>
    /// <param name="options">Binary, Service and scrape interval; defaults when null.</param>
    /// <param name="cancellationToken">Cancels start-up.</param>
    /// <returns>The running server; dispose it to stop the process and delete its storage.</returns>
    /// <exception cref="InvalidOperationException">No <c>prometheus</c> executable, or it exited at start.</exception>
    public static async Task<EmbeddedPrometheus> StartAsync(EmbeddedCluster cluster, SimulatedMesh mesh, EmbeddedPrometheusOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        ArgumentNullException.ThrowIfNull(mesh);
        options ??= new EmbeddedPrometheusOptions();
        var binary = options.Binary ?? FindBinary()
                     ?? throw new InvalidOperationException("prometheus not found on PATH or in /usr/bin: install the prometheus package, or run with --prometheus off for the simulated metrics");
        var server = new EmbeddedPrometheus(mesh);
        try
        {
            await server.StartAsync(cluster, binary, options, cancellationToken).ConfigureAwait(false);
            return server;
        }
        catch
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Prometheus' own output so far (for failure messages).</summary>
    /// <returns>Its log lines.</returns>
    public string Log()
    {
        lock (_log)
        {
            return _log.ToString();
        }
    }

    /// <summary>Stops the process and the front server, unregisters the DNS entry and deletes the storage.</summary>
    /// <returns>A task that completes when stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        foreach (var registration in _registrations)
        {
            registration.Dispose();
        }

        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync().ConfigureAwait(false);
        }

        _process?.Dispose();
        if (_front is not null)
        {
            await _front.DisposeAsync().ConfigureAwait(false);
        }

        _http.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temporary directory is harmless.
        }
        catch (UnauthorizedAccessException)
        {
            // Likewise.
        }
    }

    private async Task StartAsync(EmbeddedCluster cluster, string binary, EmbeddedPrometheusOptions options, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder(["--Logging:LogLevel:Default=Warning"]);
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _front = builder.Build();
        _front.MapGet(ScrapePath, () => Results.Text(Exposition(), IstioExposition.ContentType));
        var proxy = new PrometheusTimeProxy(_http, () => ServerAddress, _clock);
        _front.Map("/{**path}", proxy.ForwardAsync);
        await _front.StartAsync(cancellationToken).ConfigureAwait(false);
        Address = new Uri(_front.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

        Directory.CreateDirectory(_directory);
        var config = Path.Combine(_directory, "prometheus.yml");
        var scrape = TimeSpan.FromMilliseconds(Math.Max(200, options.ScrapeInterval.TotalMilliseconds / Speed(_clock.Simulated)));
        var interval = string.Create(CultureInfo.InvariantCulture, $"{(long)scrape.TotalMilliseconds}ms");
        await File.WriteAllTextAsync(config, $"""
            global:
              scrape_interval: {interval}
              scrape_timeout: {interval}
              evaluation_interval: 1m
            scrape_configs:
              - job_name: istio-mesh
                honor_timestamps: true
                metrics_path: {ScrapePath}
                static_configs:
                  - targets: ['{Address.Authority}']
            """, cancellationToken).ConfigureAwait(false);
        ServerAddress = new Uri($"http://127.0.0.1:{FreePort().ToString(CultureInfo.InvariantCulture)}/");
        StartProcess(binary, config);
        await WaitUntilReadyAsync(cancellationToken).ConfigureAwait(false);

        cluster.Apply($$"""
            apiVersion: v1
            kind: Service
            metadata:
              name: {{options.ServiceName}}
              namespace: {{options.ServiceNamespace}}
              labels: {app: prometheus}
            spec:
              selector: {app: prometheus}
              ports: [{name: http, port: 9090, targetPort: 9090, protocol: TCP}]
            """);
        _registrations.Add(cluster.Dns.Serve(options.ServiceNamespace, options.ServiceName, Address));
    }

    /// <summary>The mesh's series, each sample stamped with the scrape's simulated time on Prometheus' axis.</summary>
    private string Exposition()
    {
        var stamp = " " + _clock.NowMilliseconds().ToString(CultureInfo.InvariantCulture);
        var text = new StringBuilder();
        // Istio's sidecar series and the application's own histogram (what the kubernetes and gatewayapi
        // providers' builtin queries read), as Prometheus scraping both from each pod would have them.
        var counters = _mesh.Counters();
        foreach (var line in (IstioExposition.Write(counters) + ApplicationExposition.Write(counters)).Split('\n'))
        {
            if (line.Length == 0)
            {
                continue;
            }

            text.Append(line);
            if (line[0] != '#')
            {
                text.Append(stamp);
            }

            text.Append('\n');
        }

        return text.ToString();
    }

    private void StartProcess(string binary, string config)
    {
        var start = new ProcessStartInfo(binary)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
            WorkingDirectory = _directory,
        };

        // A block range far longer than any run: the head then accepts samples as old as the offset puts them
        // (it refuses samples older than half a block range behind its newest), and is never compacted.
        foreach (var argument in new[]
                 {
                     $"--config.file={config}",
                     $"--storage.tsdb.path={Path.Combine(_directory, "data")}",
                     $"--web.listen-address={ServerAddress.Authority}",
                     "--storage.tsdb.min-block-duration=20000d",
                     "--storage.tsdb.max-block-duration=20000d",
                     "--storage.tsdb.retention.time=5y",
                     "--log.level=warn",
                 })
        {
            start.ArgumentList.Add(argument);
        }

        _process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {binary}");
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.BeginErrorReadLine();
        _process.BeginOutputReadLine();
    }

    private void Append(string? line)
    {
        lock (_log)
        {
            _log.AppendLine(line);
        }
    }

    private async Task WaitUntilReadyAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        while (true)
        {
            if (_process!.HasExited)
            {
                throw new InvalidOperationException($"prometheus exited with {_process.ExitCode}:\n{Log()}");
            }

            try
            {
                using var response = await _http.GetAsync(new Uri(ServerAddress, "/-/ready"), timeout.Token).ConfigureAwait(false);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"prometheus was not ready after 30s:\n{Log()}");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), TimeProvider.System, timeout.Token).ConfigureAwait(false);
        }
    }

    private static double Speed(TimeProvider time) => time is ScaledTimeProvider scaled ? scaled.Speed : 1;

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
