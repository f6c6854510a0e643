using Microsoft.Extensions.Options;

namespace Flagger.Prometheus;

/// <summary>How Flagger talks to Prometheus servers: the <c>--metrics-server</c> and every <c>prometheus</c> MetricTemplate.</summary>
public sealed class PrometheusOptions
{
    /// <summary>Per-query timeout (Flagger: 5 seconds).</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Use Istio's pre-1.5 duration histogram <c>istio_request_duration_seconds_bucket</c> (seconds, converted to
    /// milliseconds) for the builtin <c>request-duration</c> metric, instead of
    /// <c>istio_request_duration_milliseconds_bucket</c>.
    /// </summary>
    public bool UseIstioSecondsHistogram { get; set; }
}

/// <summary>Rejects settings that would make every query fail.</summary>
internal sealed class PrometheusOptionsValidator : IValidateOptions<PrometheusOptions>
{
    public ValidateOptionsResult Validate(string? name, PrometheusOptions options) =>
        options.Timeout > TimeSpan.Zero && options.Timeout != System.Threading.Timeout.InfiniteTimeSpan
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail($"Prometheus Timeout: must be a positive duration, got {options.Timeout}");
}
