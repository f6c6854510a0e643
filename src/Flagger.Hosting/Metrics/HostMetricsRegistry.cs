using Prometheus;

namespace Flagger.Hosting.Metrics;

/// <summary>
/// The metrics registry of one operator host, served by its <c>/metrics</c>. prometheus-net's default registry is
/// process-wide: two hosts in one process writing there would export each other's canary series, and one host
/// deleting a canary's series would delete the other's too. So each host has its own, with the process and runtime
/// series: <c>process_*</c> and <c>dotnet_*</c>, .NET's event counters and its <c>System.Runtime</c> meter
/// (<c>system_runtime_*</c>: GC, JIT, thread pool, CPU).
/// </summary>
/// <remarks>
/// Of .NET's meters only <c>System.Runtime</c> is exported. The others label their series with peer addresses
/// (<c>System.Net.Http</c>'s <c>server_address</c> is the host name of every Prometheus server, webhook and chat
/// service called, <c>System.Net.NameResolution</c> names every host looked up), and ASP.NET Core's belong to
/// whichever host in the process created them.
/// </remarks>
internal sealed class HostMetricsRegistry : IDisposable
{
    private const string RuntimeMeter = "System.Runtime";

    private readonly IDisposable eventCounters;
    private readonly IDisposable meters;

    public HostMetricsRegistry()
    {
        Registry = Prometheus.Metrics.NewCustomRegistry();
        DotNetStats.Register(Registry);

        // MetricFactory defaults to the default registry's and wins over Registry: it is cleared so Registry is used.
        eventCounters = EventCounterAdapter.StartListening(new EventCounterAdapterOptions { Registry = Registry, MetricFactory = null });
        meters = MeterAdapter.StartListening(new MeterAdapterOptions
        {
            Registry = Registry,
            MetricFactory = null,
            InstrumentFilterPredicate = instrument => instrument.Meter.Name == RuntimeMeter,
        });
    }

    /// <summary>The host's registry.</summary>
    public CollectorRegistry Registry { get; }

    /// <summary>Stops listening to the process's event counters and meters.</summary>
    public void Dispose()
    {
        meters.Dispose();
        eventCounters.Dispose();
    }
}
