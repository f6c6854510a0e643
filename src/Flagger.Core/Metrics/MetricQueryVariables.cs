using Flagger.Model;

namespace Flagger.Metrics;

/// <summary>The values a metric query template may use, as Flagger names them.</summary>
public sealed record MetricQueryVariables
{
    /// <summary><c>{{ name }}</c>: the Canary's name.</summary>
    public required string Name { get; init; }

    /// <summary><c>{{ namespace }}</c>: the Canary's namespace.</summary>
    public required string Namespace { get; init; }

    /// <summary><c>{{ target }}</c>: the target workload's name (<c>{{ target }}-primary</c> queries the primary).</summary>
    public required string Target { get; init; }

    /// <summary><c>{{ service }}</c>: the apex Service name.</summary>
    public required string Service { get; init; }

    /// <summary><c>{{ interval }}</c>: the metric's query window as written, such as <c>1m</c>.</summary>
    public required string Interval { get; init; }

    /// <summary><c>{{ ingress }}</c>: <c>spec.ingressRef.name</c>; the target's name when null.</summary>
    public string? Ingress { get; init; }

    /// <summary><c>{{ route }}</c>: <c>spec.routeRef.name</c> (Knative: the latest created revision); the target's name when null.</summary>
    public string? Route { get; init; }

    /// <summary><c>{{ variables.key }}</c>: the metric's <c>templateVariables</c>.</summary>
    public IReadOnlyDictionary<string, string>? Variables { get; init; }

    /// <summary>The variables of one metric of a canary, filled as Flagger fills them.</summary>
    /// <param name="canary">The canary whose metric is queried.</param>
    /// <param name="metric">The metric; gives the interval (default <c>1m</c>) and the template variables.</param>
    public static MetricQueryVariables For(Canary canary, CanaryMetric metric)
    {
        ArgumentNullException.ThrowIfNull(canary);
        ArgumentNullException.ThrowIfNull(metric);
        var spec = canary.Spec;
        var target = spec?.TargetRef?.Name ?? string.Empty;
        return new MetricQueryVariables
        {
            Name = canary.Metadata?.Name ?? string.Empty,
            Namespace = canary.Metadata?.Namespace ?? string.Empty,
            Target = target,
            Service = string.IsNullOrEmpty(spec?.Service?.Name) ? target : spec.Service.Name,
            Interval = metric.GetInterval(),
            Ingress = NameOrNull(spec?.IngressRef),
            Route = NameOrNull(spec?.RouteRef),
            Variables = metric.TemplateVariables,
        };
    }

    private static string? NameOrNull(ObjectReference? reference) =>
        string.IsNullOrEmpty(reference?.Name) ? null : reference.Name;
}
