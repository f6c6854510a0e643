using System.Diagnostics.Metrics;

namespace Flagger.Hosting.Scheduling;

/// <summary>
/// The scheduler's own measurements, on a <see cref="Meter"/> rather than the Prometheus registry: they are for
/// profiling (the scale harness listens with a <see cref="MeterListener"/>, dotnet-counters reads them too), not
/// part of Flagger's metric contract.
/// </summary>
internal static class SchedulerDiagnostics
{
    /// <summary>Name of the meter; listen to it with <c>dotnet-counters monitor --counters Flagger.Hosting.Scheduler</c>.</summary>
    public const string MeterName = "Flagger.Hosting.Scheduler";

    /// <summary>Name of the histogram of tick lateness in milliseconds.</summary>
    public const string TickLagName = "flagger.scheduler.tick.lag";

    /// <summary>Name of the histogram of tick durations in milliseconds.</summary>
    public const string TickDurationName = "flagger.scheduler.tick.duration";

    private static readonly Meter Meter = new(MeterName);

    /// <summary>
    /// How late a tick started against its canary's schedule: the end of its interval wait, or the moment it was
    /// woken. Includes the wait for a free tick slot, so a saturated operator shows up here first.
    /// </summary>
    public static readonly Histogram<double> TickLag = Meter.CreateHistogram<double>(TickLagName, "ms", "How late a canary tick started against its schedule");

    /// <summary>How long a tick took.</summary>
    public static readonly Histogram<double> TickDuration = Meter.CreateHistogram<double>(TickDurationName, "ms", "How long a canary tick took");
}
