using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Flagger.Prometheus.Tests.Fixtures;

/// <summary>A scrape target on loopback serving Istio's request series for the workloads it is told about.</summary>
public sealed class IstioExporter : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly Stopwatch clock = Stopwatch.StartNew();
    private readonly ConcurrentDictionary<string, (double Since, double PerSecond)> failures = new(StringComparer.Ordinal);

    private IstioExporter(WebApplication app, IReadOnlyList<WorkloadTraffic> workloads)
    {
        this.app = app;
        Workloads = workloads;
    }

    public IReadOnlyList<WorkloadTraffic> Workloads { get; }

    public Uri Address { get; private set; } = null!;

    public static async Task<IstioExporter> StartAsync(IReadOnlyList<WorkloadTraffic> workloads, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var exporter = new IstioExporter(app, workloads);
        app.MapGet("/metrics", () => Results.Text(exporter.Exposition(), "text/plain; version=0.0.4", Encoding.UTF8));
        await app.StartAsync(cancellationToken);
        exporter.Address = LoopbackAddress(app);
        return exporter;
    }

    /// <summary>
    /// From now on <paramref name="workload"/> also answers <paramref name="perSecond"/> requests a second with 503, as a
    /// faulty revision does (counters keep growing, so Prometheus sees no reset).
    /// </summary>
    public void AddFailures(string workload, double perSecond) => failures[workload] = (clock.Elapsed.TotalSeconds, perSecond);

    public string Exposition()
    {
        var seconds = clock.Elapsed.TotalSeconds;
        var text = new StringBuilder();
        text.Append("# TYPE istio_requests_total counter\n");
        text.Append("# TYPE istio_request_duration_milliseconds histogram\n");
        text.Append("# TYPE istio_request_duration_seconds histogram\n");
        foreach (var workload in Workloads)
        {
            var extra = failures.TryGetValue(workload.Workload, out var f) ? f.PerSecond * Math.Max(0, seconds - f.Since) : 0;
            workload.WriteSeries(text, seconds, extra);
        }

        return text.ToString();
    }

    public ValueTask DisposeAsync() => app.DisposeAsync();

    internal static Uri LoopbackAddress(WebApplication app) =>
        new(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
}
