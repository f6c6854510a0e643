using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using Flagger.Testing.Mesh;
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
    private readonly List<Func<IEnumerable<WorkloadCounters>>> sources = [];
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
        app.MapGet("/metrics", () => Results.Text(exporter.Exposition(), IstioExposition.ContentType, Encoding.UTF8));
        await app.StartAsync(cancellationToken);
        exporter.Address = LoopbackAddress(app);
        return exporter;
    }

    public string Exposition()
    {
        var seconds = clock.Elapsed.TotalSeconds;
        Func<IEnumerable<WorkloadCounters>>[] extra;
        lock (sources)
        {
            extra = [.. sources];
        }

        return IstioExposition.Write(Workloads.Select(w => CountersOf(w, seconds)).Concat(extra.SelectMany(s => s())));
    }

    /// <summary>
    /// From now on <paramref name="workload"/> also answers <paramref name="perSecond"/> requests a second with 503, as a
    /// faulty revision does (counters keep growing, so Prometheus sees no reset).
    /// </summary>
    public void AddFailures(string workload, double perSecond) => failures[workload] = (clock.Elapsed.TotalSeconds, perSecond);

    private WorkloadCounters CountersOf(WorkloadTraffic workload, double seconds)
    {
        var counters = workload.CountersAfter(seconds);
        return failures.TryGetValue(workload.Workload, out var f)
            ? counters.Add(f.PerSecond * Math.Max(0, seconds - f.Since), 100, workload.P99Milliseconds)
            : counters;
    }

    /// <summary>Serves more counters from now on, e.g. a simulated mesh's (<c>--prometheus</c> mode of the demo).</summary>
    public void AddSource(Func<IEnumerable<WorkloadCounters>> source)
    {
        lock (sources)
        {
            sources.Add(source);
        }
    }

    public ValueTask DisposeAsync() => app.DisposeAsync();

    internal static Uri LoopbackAddress(WebApplication app) =>
        new(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
}
