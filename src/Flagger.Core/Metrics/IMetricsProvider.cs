namespace Flagger.Metrics;

/// <summary>Runs metric queries against one backend (a Prometheus server, …).</summary>
/// <remarks>
/// What the engine makes of each answer, for one metric in one analysis tick:
/// <list type="bullet">
/// <item><description><see cref="MetricQueryResult.Of"/>: the value is judged against the metric's
/// <c>thresholdRange</c> (or <c>threshold</c>); outside it is a failed check (a Warning event
/// <c>Halt advancement ...</c>).</description></item>
/// <item><description><see cref="MetricQueryResult.NoValues"/>: a failed check (a Warning event
/// <c>Halt advancement no values found ...</c>), as in Flagger: a canary that receives no traffic cannot pass.</description></item>
/// <item><description><see cref="MetricQueryResult.Failed"/>: a failed check too (an Error event
/// <c>Metric query failed for NAME: ERROR</c>).</description></item>
/// <item><description>An exception other than cancellation is not an answer: return <see cref="MetricQueryResult.Failed"/>
/// for what the backend said instead of throwing.</description></item>
/// </list>
/// Each failed check adds one to <c>status.failedChecks</c>; reaching the analysis threshold rolls the canary back. The
/// metrics after the first failing one are not queried in that tick.
/// </remarks>
public interface IMetricsProvider
{
    /// <summary>Runs an instant query and returns its single value (see the interface's remarks for what each outcome means).</summary>
    /// <param name="query">The query with the template's variables (<c>{{ namespace }}</c>, <c>{{ target }}</c>, …) already rendered.</param>
    /// <param name="cancellationToken">Cancels the query (the tick is ending, or the operator stopping).</param>
    Task<MetricQueryResult> RunQueryAsync(string query, CancellationToken cancellationToken);

    /// <summary>Checks that the backend answers.</summary>
    /// <remarks>
    /// Asked once per metric while a canary is being initialised. An offline
    /// answer is reported in an Error event <c>Error checking metric providers: NAME: ERROR</c> and does not count as a
    /// failed check nor stop the canary; the queries of the analysis decide.
    /// </remarks>
    /// <param name="cancellationToken">Cancels the check.</param>
    Task<ProviderHealth> CheckHealthAsync(CancellationToken cancellationToken);
}

/// <summary>Creates metrics providers for a provider type (<c>prometheus</c>, …). Registered under that type.</summary>
/// <remarks>
/// The factory is a singleton of the container it is registered in; the providers it creates are not kept.
/// </remarks>
public interface IMetricsProviderFactory
{
    /// <summary>Creates a provider for one address and set of credentials.</summary>
    /// <remarks>
    /// <para>
    /// Lifetime: the engine calls <see cref="Create"/> every time it needs a provider, that is once per metric query in
    /// each analysis tick and once per health check, and drops the provider afterwards; it does not cache providers per
    /// settings, and it never disposes them. Keep <see cref="Create"/> cheap and hold nothing per call that needs
    /// releasing: share connections from the factory (an <c>IHttpClientFactory</c> client, or one
    /// <see cref="System.Net.Http.HttpClient"/> per distinct <see cref="MetricsProviderSettings"/> kept by the factory).
    /// A provider that builds an <c>HttpClient</c> with its own handler in each call leaks sockets.
    /// </para>
    /// <para>
    /// The settings come from the MetricTemplate's <c>spec.provider</c> (and its Secret), or for builtin and inline
    /// metrics from the operator's <c>-metrics-server</c>; they may change between calls when the template is edited.
    /// </para>
    /// </remarks>
    /// <param name="settings">Where the backend is and how to authenticate.</param>
    /// <returns>A provider for those settings.</returns>
    IMetricsProvider Create(MetricsProviderSettings settings);
}

/// <summary>Where and how a metrics provider connects.</summary>
public sealed record MetricsProviderSettings
{
    /// <summary>Provider type.</summary>
    public required string Type { get; init; }

    /// <summary>Address of the backend.</summary>
    public string? Address { get; init; }

    /// <summary>Credentials read from the template's Secret (<c>token</c>, <c>username</c>, <c>password</c>, …).</summary>
    public IReadOnlyDictionary<string, string>? Credentials { get; init; }

    /// <summary>Extra HTTP headers.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>>? Headers { get; init; }

    /// <summary>Cloud region.</summary>
    public string? Region { get; init; }

    /// <summary>Skip TLS verification.</summary>
    public bool InsecureSkipVerify { get; init; }
}

/// <summary>Whether a metrics backend answers.</summary>
/// <param name="IsOnline">True when it answered as expected.</param>
/// <param name="Error">Why not, when offline.</param>
public sealed record ProviderHealth(bool IsOnline, string? Error = null)
{
    /// <summary>Online.</summary>
    public static ProviderHealth Online { get; } = new(true);
}

/// <summary>What a query returned: a value, no value, or an error.</summary>
public sealed record MetricQueryResult
{
    private MetricQueryResult(MetricQueryOutcome outcome, double value, string? error)
    {
        Outcome = outcome;
        Value = value;
        Error = error;
    }

    /// <summary>The outcome.</summary>
    public MetricQueryOutcome Outcome { get; }

    /// <summary>The value, when <see cref="Outcome"/> is <see cref="MetricQueryOutcome.Value"/>.</summary>
    public double Value { get; }

    /// <summary>Detail of an empty or failed query.</summary>
    public string? Error { get; }

    /// <summary>A single value.</summary>
    public static MetricQueryResult Of(double value) => new(MetricQueryOutcome.Value, value, null);

    /// <summary>The query returned nothing (or NaN): the workload probably receives no traffic.</summary>
    public static MetricQueryResult NoValues(string? detail = null) => new(MetricQueryOutcome.NoValues, double.NaN, detail);

    /// <summary>The query failed; <paramref name="error"/> is the backend's own text.</summary>
    public static MetricQueryResult Failed(string error) => new(MetricQueryOutcome.Failed, double.NaN, error);
}

/// <summary>Outcomes of a metric query.</summary>
public enum MetricQueryOutcome
{
    /// <summary>One value.</summary>
    Value,

    /// <summary>No value.</summary>
    NoValues,

    /// <summary>An error.</summary>
    Failed,
}
