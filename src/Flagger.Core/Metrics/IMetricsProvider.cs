namespace Flagger.Metrics;

/// <summary>Runs metric queries against one backend (a Prometheus server, …).</summary>
public interface IMetricsProvider
{
    /// <summary>Runs an instant query and returns its single value.</summary>
    Task<MetricQueryResult> RunQueryAsync(string query, CancellationToken cancellationToken);

    /// <summary>Checks that the backend answers.</summary>
    Task<ProviderHealth> CheckHealthAsync(CancellationToken cancellationToken);
}

/// <summary>Creates metrics providers for a provider type (<c>prometheus</c>, …). Registered under that type.</summary>
public interface IMetricsProviderFactory
{
    /// <summary>Creates a provider for one address and set of credentials.</summary>
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
