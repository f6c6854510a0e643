namespace Flagger.Testing.Prometheus;

/// <summary>Settings of an <see cref="EmbeddedPrometheus"/>.</summary>
public sealed class EmbeddedPrometheusOptions
{
    /// <summary>The <c>prometheus</c> executable; null looks it up on <c>PATH</c> and in <c>/usr/bin</c>.</summary>
    public string? Binary { get; init; }

    /// <summary>Namespace of the Service created for it. Default <c>istio-system</c>, where Istio's addon puts it.</summary>
    public string ServiceNamespace { get; init; } = "istio-system";

    /// <summary>Name of the Service created for it. Default <c>prometheus</c>.</summary>
    public string ServiceName { get; init; } = "prometheus";

    /// <summary>
    /// Simulated time between scrapes. Default 5 seconds; the wall-clock interval is this divided by the clock's
    /// speed, never below 200 ms, so fast clocks get fewer, wider-spaced samples.
    /// </summary>
    public TimeSpan ScrapeInterval { get; init; } = TimeSpan.FromSeconds(5);
}
