using Flagger.Model;
using Microsoft.Extensions.Options;

namespace Flagger.Analysis;

/// <summary>Settings of the analysis engine; the operator binds them from Flagger's flags.</summary>
public sealed class EngineOptions
{
    /// <summary>Mesh provider for canaries without <c>spec.provider</c> (<c>--mesh-provider</c>, default <c>istio</c>).</summary>
    public string MeshProvider { get; set; } = "istio";

    /// <summary>Prometheus address for the builtin metrics (<c>--metrics-server</c>).</summary>
    public string MetricsServer { get; set; } = "http://prometheus:9090";

    /// <summary>Metrics provider type used for builtin and inline queries.</summary>
    public string MetricsProviderType { get; set; } = "prometheus";

    /// <summary>Shortest analysis interval honoured (Flagger: 10s). Lower it only for tests and demos.</summary>
    public TimeSpan MinimumInterval { get; set; } = AnalysisDefaults.MinimumInterval;

    /// <summary>Cluster name shown in alerts (<c>--cluster-name</c>).</summary>
    public string? ClusterName { get; set; }

    /// <summary>
    /// How long one best-effort call of a tick may take: an event, an event webhook, an alert, a post-rollout hook.
    /// They run after traffic and status are settled, and one that takes longer is abandoned and counted as failed.
    /// </summary>
    public TimeSpan NotificationTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Reject MetricTemplate and AlertProvider references to other namespaces (<c>--no-cross-namespace-refs</c>).</summary>
    public bool NoCrossNamespaceRefs { get; set; }
}

/// <summary>Validates <see cref="EngineOptions"/> at start-up, naming the flag to fix.</summary>
internal sealed class EngineOptionsValidator : IValidateOptions<EngineOptions>
{
    public ValidateOptionsResult Validate(string? name, EngineOptions options)
    {
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.MeshProvider))
        {
            failures.Add("--mesh-provider: must name a mesh provider, such as istio");
        }

        if (!Uri.TryCreate(options.MetricsServer, UriKind.Absolute, out var uri) || (uri.Scheme != "http" && uri.Scheme != "https"))
        {
            failures.Add($"--metrics-server: must be an http(s) address, got '{Providers.SecretText.Address(options.MetricsServer)}'");
        }

        if (options.NotificationTimeout <= TimeSpan.Zero || options.NotificationTimeout > TimeSpan.FromMinutes(5))
        {
            failures.Add("NotificationTimeout: must be positive and at most 5m");
        }

        if (options.MinimumInterval <= TimeSpan.Zero)
        {
            failures.Add("MinimumInterval: must be positive");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
