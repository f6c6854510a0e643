using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

[assembly: AssemblyFixture(typeof(Flagger.Prometheus.Tests.Fixtures.PrometheusServer))]

namespace Flagger.Prometheus.Tests.Fixtures;

/// <summary>
/// The real Prometheus (Debian's package) on a free loopback port with a generated config and a temporary
/// storage directory, scraping <see cref="IstioExporter"/> every second; one per test run.
/// </summary>
public sealed class PrometheusServer : IAsyncLifetime
{
    /// <summary>The canary: 10 req/s, 90% non-5xx, P99 175 ms.</summary>
    public static readonly WorkloadTraffic Canary = new("test", "podinfo", 10, 90, 175);

    /// <summary>The primary: 20 req/s, 99.5% non-5xx, P99 42 ms.</summary>
    public static readonly WorkloadTraffic Primary = new("test", "podinfo-primary", 20, 99.5, 42);

    private readonly StringBuilder log = new();
    private readonly string directory = Path.Combine(Path.GetTempPath(), $"flagger-prometheus-{Guid.NewGuid():N}");
    private Process? process;
    private string config = string.Empty;

    public IstioExporter Exporter { get; private set; } = null!;

    public AuthProxy Proxy { get; private set; } = null!;

    public Uri Address { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        _ = FindPrometheus() ?? throw new InvalidOperationException("prometheus not found: apt-get install prometheus");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        Exporter = await IstioExporter.StartAsync([Canary, Primary], timeout.Token);
        Directory.CreateDirectory(directory);
        config = Path.Combine(directory, "prometheus.yml");
        await File.WriteAllTextAsync(config, $"""
            global:
              scrape_interval: 1s
              evaluation_interval: 1s
            scrape_configs:
              - job_name: istio-mesh
                static_configs:
                  - targets: ['{Exporter.Address.Authority}']
            """, timeout.Token);
        var port = FreePort();
        Address = new Uri($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}");
        StartProcess();
        await WaitForFirstRatesAsync(timeout.Token);
        Proxy = await AuthProxy.StartAsync(Address, timeout.Token);
    }

    /// <summary>True while the process runs (between <see cref="StopAsync"/> and <see cref="RestartAsync"/> it does not).</summary>
    public bool IsRunning => process is { HasExited: false };

    /// <summary>
    /// Kills the process, as an outage does: its port refuses connections until <see cref="RestartAsync"/>. Its
    /// storage stays, so the samples scraped before the outage are there after it.
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (process is { HasExited: false })
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(cancellationToken);
        }

        process?.Dispose();
        process = null;
    }

    /// <summary>Starts the process again on the same port and storage and waits until it answers rates.</summary>
    public async Task RestartAsync(CancellationToken cancellationToken)
    {
        StartProcess();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        await WaitForFirstRatesAsync(timeout.Token);
    }

    public async ValueTask DisposeAsync()
    {
        if (process is { HasExited: false })
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        process?.Dispose();
        if (Proxy is not null)
        {
            await Proxy.DisposeAsync();
        }

        if (Exporter is not null)
        {
            await Exporter.DisposeAsync();
        }

        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp directory is harmless.
        }
    }

    /// <summary>Waits until Prometheus is ready and has scraped twice, so <c>rate()</c> has two samples per series.</summary>
    private async Task WaitForFirstRatesAsync(CancellationToken cancellationToken)
    {
        using var http = new HttpClient { BaseAddress = Address };
        var query = Uri.EscapeDataString("""sum(rate(istio_requests_total{destination_workload="podinfo-primary"}[1m]))""");
        while (true)
        {
            if (process!.HasExited)
            {
                throw new InvalidOperationException($"prometheus exited with {process.ExitCode}:\n{Log()}");
            }

            try
            {
                var body = await http.GetStringAsync($"/api/v1/query?query={query}", cancellationToken);
                using var json = JsonDocument.Parse(body);
                if (json.RootElement.GetProperty("data").GetProperty("result").GetArrayLength() == 1)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"prometheus had no rates after 30s:\n{Log()}");
            }

            await Task.Delay(200, cancellationToken);
        }
    }

    private void StartProcess()
    {
        var binary = FindPrometheus() ?? throw new InvalidOperationException("prometheus not found: apt-get install prometheus");
        var start = new ProcessStartInfo(binary)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
            WorkingDirectory = directory,
        };

        foreach (var argument in new[] { $"--config.file={config}", $"--storage.tsdb.path={Path.Combine(directory, "data")}", $"--web.listen-address={Address.Authority}" })
        {
            start.ArgumentList.Add(argument);
        }

        process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {binary}");
        process.ErrorDataReceived += (_, e) => { lock (log) { log.AppendLine(e.Data); } };
        process.OutputDataReceived += (_, e) => { lock (log) { log.AppendLine(e.Data); } };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
    }

    private string Log()
    {
        lock (log)
        {
            return log.ToString();
        }
    }

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
}
