namespace Flagger.Testing.Prometheus;

/// <summary>
/// Where simulated time lands on the embedded Prometheus' time axis. Samples carry the simulated time they were
/// scraped at, moved <see cref="Offset"/> into the past: Prometheus drops samples more than ten minutes ahead of its
/// wall clock, and simulated time runs ahead of it. Queries are evaluated at the mapped simulated now, so a range
/// such as <c>[1m]</c> covers one simulated minute and <c>rate()</c> is per simulated second.
/// </summary>
internal sealed class PrometheusClock(TimeProvider simulated)
{
    /// <summary>
    /// How far back samples are moved. Simulated time gains <c>speed - 1</c> seconds a second on the wall clock, so
    /// this lasts 400 days / (speed - 1) of wall-clock time: 44 days at speed 10, 9.6 hours at speed 1000.
    /// </summary>
    public static readonly TimeSpan Offset = TimeSpan.FromDays(400);

    /// <summary>The simulated clock.</summary>
    public TimeProvider Simulated => simulated;

    /// <summary>Now on Prometheus' axis, in Unix milliseconds.</summary>
    public long NowMilliseconds() => ToAxis(simulated.GetUtcNow()).ToUnixTimeMilliseconds();

    /// <summary>A simulated instant on Prometheus' axis.</summary>
    public static DateTimeOffset ToAxis(DateTimeOffset simulatedInstant) => simulatedInstant - Offset;

    /// <summary>A Prometheus-axis instant back in simulated time.</summary>
    public static DateTimeOffset FromAxis(DateTimeOffset axisInstant) => axisInstant + Offset;
}
