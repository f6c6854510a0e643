namespace Flagger.Metrics;

/// <summary>
/// The builtin <c>request-success-rate</c> and <c>request-duration</c> query templates of one mesh provider,
/// run against the global metrics server. Registered under the mesh provider name.
/// </summary>
public interface IMetricObserver
{
    /// <summary>Query template for the success rate in percent.</summary>
    string RequestSuccessRateQuery { get; }

    /// <summary>Query template for the P99 request duration in milliseconds.</summary>
    string RequestDurationQuery { get; }
}

/// <summary>Names of the builtin metrics.</summary>
public static class BuiltinMetrics
{
    /// <summary>Percentage of non-5xx responses.</summary>
    public const string RequestSuccessRate = "request-success-rate";

    /// <summary>P99 request duration in milliseconds.</summary>
    public const string RequestDuration = "request-duration";

    /// <summary>True for a builtin metric name.</summary>
    public static bool IsBuiltin(string? name) => name is RequestSuccessRate or RequestDuration;
}
