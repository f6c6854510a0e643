using Flagger.Model;
using Microsoft.Extensions.Options;

namespace Flagger.Analysis;

/// <summary>Settings of the analysis engine; the operator binds them from Flagger's flags.</summary>
public sealed class EngineOptions
{
    /// <summary>
    /// Mesh provider for canaries without <c>spec.provider</c> (<c>--mesh-provider</c>). Left empty, the provider
    /// package that called <see cref="Providers.FlaggerEngineBuilder.UseDefaultMeshProvider"/> fills it in.
    /// </summary>
    public string MeshProvider { get; set; } = string.Empty;

    /// <summary>
    /// Address of the metrics server for the builtin and inline queries (<c>--metrics-server</c>). Left empty, the
    /// package that called <see cref="Providers.FlaggerEngineBuilder.UseBuiltinMetricsProvider"/> fills in its default.
    /// </summary>
    public string MetricsServer { get; set; } = string.Empty;

    /// <summary>
    /// Metrics provider type used for the builtin and inline queries. Left empty, the package that called
    /// <see cref="Providers.FlaggerEngineBuilder.UseBuiltinMetricsProvider"/> fills it in.
    /// </summary>
    public string MetricsProviderType { get; set; } = string.Empty;

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
        // Empty is allowed: an operator with only routers that claim no default (the Services-only kubernetes one) runs
        // the canaries that name their spec.provider and reports the others as invalid, by name.
        if (options.MeshProvider.Length > 0 && string.IsNullOrWhiteSpace(options.MeshProvider))
        {
            failures.Add("--mesh-provider: must name a mesh provider, not blanks");
        }

        // Without a metrics provider for the builtin queries the address has no use; a canary that asks for a builtin
        // metric is then told so by name when its analysis runs.
        var builtinMetrics = !string.IsNullOrEmpty(options.MetricsProviderType) || !string.IsNullOrEmpty(options.MetricsServer);
        if (builtinMetrics && (!Uri.TryCreate(options.MetricsServer, UriKind.Absolute, out var uri) || (uri.Scheme != "http" && uri.Scheme != "https")))
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
