namespace Flagger.Metrics;

/// <summary>
/// Supplies both sides of a metric that is judged against the primary (<c>analysis.metrics[].comparison</c>): the
/// canary's and the primary's data over the same window. An optional capability of a metrics provider: the engine
/// asks the <see cref="IMetricsProvider"/> that <see cref="IMetricsProviderFactory.Create"/> returned whether it also
/// implements this interface, so a provider author adds comparisons by implementing it on the same class.
/// </summary>
/// <remarks>
/// <para>
/// What the engine reads, by metric and method:
/// <list type="bullet">
/// <item><description>builtin <c>request-success-rate</c>, <c>sequential</c>: <see cref="ReadRequestCountsAsync"/>, the
/// increase of each side's request and failure counters since the previous check; the engine accumulates them in the
/// Canary's status across steps.</description></item>
/// <item><description>builtin <c>request-duration</c>, <c>sequential</c>: <see cref="ReadLatencyHistogramsAsync"/>,
/// the increase of each side's request-duration histogram buckets since the previous check.</description></item>
/// <item><description><c>mann-whitney</c> (builtin or template): <see cref="ReadSamplesAsync"/>, one value per step
/// of the metric's query rendered once with <c>{{ target }}</c> as the canary and once as the primary.</description></item>
/// </list>
/// </para>
/// <para>
/// Answers follow <see cref="IMetricsProvider"/>'s: <see cref="ComparisonReading.NoValues{T}"/> when a side has no data
/// (the verdict is inconclusive: the weight holds, no failed check), <see cref="ComparisonReading.Failed{T}"/> for what
/// the backend said (a failed check). Return those instead of throwing; an exception is treated as a failed read.
/// </para>
/// </remarks>
public interface IComparisonDataProvider
{
    /// <summary>Each side's requests and failed requests over the window.</summary>
    /// <param name="workloads">The mesh whose request counters to read and the two workloads.</param>
    /// <param name="window">The window; the counts are the counters' increase from its start to its end.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    Task<ComparisonReading<RequestCounts>> ReadRequestCountsAsync(WorkloadPair workloads, ComparisonWindow window, CancellationToken cancellationToken);

    /// <summary>Each side's request-duration histogram over the window, in milliseconds, with the same bucket bounds on both sides.</summary>
    /// <param name="workloads">The mesh whose duration histogram to read and the two workloads.</param>
    /// <param name="window">The window; the counts are the buckets' increase from its start to its end.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    Task<ComparisonReading<LatencyHistogram>> ReadLatencyHistogramsAsync(WorkloadPair workloads, ComparisonWindow window, CancellationToken cancellationToken);

    /// <summary>Each side's values of a query, one per <see cref="ComparisonWindow.Step"/> over the window (a range query).</summary>
    /// <param name="canaryQuery">The query rendered for the canary.</param>
    /// <param name="primaryQuery">The same query rendered for the primary.</param>
    /// <param name="window">The window and the step between samples.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    Task<ComparisonReading<IReadOnlyList<double>>> ReadSamplesAsync(string canaryQuery, string primaryQuery, ComparisonWindow window, CancellationToken cancellationToken);
}

/// <summary>The two workloads a comparison reads, and the mesh whose telemetry names them.</summary>
/// <param name="Mesh">The mesh provider (<c>istio</c>, …): which request counters and duration histogram to read.</param>
/// <param name="Namespace">The workloads' namespace.</param>
/// <param name="Canary">The canary workload (the target's name).</param>
/// <param name="Primary">The primary workload (<c>NAME-primary</c>).</param>
public sealed record WorkloadPair(string Mesh, string Namespace, string Canary, string Primary);

/// <summary>A time window of a comparison read.</summary>
/// <param name="Start">Start of the window.</param>
/// <param name="End">End of the window (the check's time).</param>
/// <param name="Step">The time between samples of a range query (the metric's interval).</param>
public readonly record struct ComparisonWindow(DateTimeOffset Start, DateTimeOffset End, TimeSpan Step)
{
    /// <summary>The window's length.</summary>
    public TimeSpan Length => End - Start;
}

/// <summary>One side's requests over a window.</summary>
/// <param name="Requests">All requests answered.</param>
/// <param name="Failures">Failed requests (for Istio, 5xx responses), at most <paramref name="Requests"/>.</param>
public readonly record struct RequestCounts(long Requests, long Failures);

/// <summary>One side's request-duration histogram over a window.</summary>
/// <param name="UpperBounds">The buckets' upper bounds in milliseconds, ascending; the last is +Inf.</param>
/// <param name="Cumulative">Requests at or below each bound; the last holds every request.</param>
public sealed record LatencyHistogram(IReadOnlyList<double> UpperBounds, IReadOnlyList<long> Cumulative);

/// <summary>Both sides of a comparison read, no data, or an error.</summary>
/// <typeparam name="T">What each side is.</typeparam>
public sealed record ComparisonReading<T>
{
    internal ComparisonReading(MetricQueryOutcome outcome, T? canary, T? primary, string? error)
    {
        Outcome = outcome;
        Canary = canary;
        Primary = primary;
        Error = error;
    }

    /// <summary>The outcome.</summary>
    public MetricQueryOutcome Outcome { get; }

    /// <summary>The canary's side, when <see cref="Outcome"/> is <see cref="MetricQueryOutcome.Value"/>.</summary>
    public T? Canary { get; }

    /// <summary>The primary's side, when <see cref="Outcome"/> is <see cref="MetricQueryOutcome.Value"/>.</summary>
    public T? Primary { get; }

    /// <summary>Detail of an empty or failed read.</summary>
    public string? Error { get; }
}

/// <summary>Creates <see cref="ComparisonReading{T}"/> answers.</summary>
public static class ComparisonReading
{
    /// <summary>Both sides.</summary>
    /// <typeparam name="T">What each side is.</typeparam>
    /// <param name="canary">The canary's side.</param>
    /// <param name="primary">The primary's side.</param>
    public static ComparisonReading<T> Of<T>(T canary, T primary) => new(MetricQueryOutcome.Value, canary, primary, null);

    /// <summary>A side has no data (no traffic yet, or series not exported).</summary>
    /// <typeparam name="T">What each side would be.</typeparam>
    /// <param name="detail">Which side, and why.</param>
    public static ComparisonReading<T> NoValues<T>(string? detail = null) => new(MetricQueryOutcome.NoValues, default, default, detail);

    /// <summary>The read failed; <paramref name="error"/> is the backend's own text.</summary>
    /// <typeparam name="T">What each side would be.</typeparam>
    /// <param name="error">What the backend said.</param>
    public static ComparisonReading<T> Failed<T>(string error) => new(MetricQueryOutcome.Failed, default, default, error);
}
