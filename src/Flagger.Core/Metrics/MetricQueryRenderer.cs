// Interim renderer; replaced by the core-validation branch's version at merge.
using System.Text.RegularExpressions;

namespace Flagger.Metrics;

/// <summary>Values for a query template.</summary>
public sealed record MetricQueryVariables
{
    /// <summary>Canary name.</summary>
    public string Name { get; init; } = string.Empty;

    /// <summary>Canary namespace.</summary>
    public string Namespace { get; init; } = string.Empty;

    /// <summary>Target name.</summary>
    public string Target { get; init; } = string.Empty;

    /// <summary>Apex service name.</summary>
    public string Service { get; init; } = string.Empty;

    /// <summary>Ingress name.</summary>
    public string Ingress { get; init; } = string.Empty;

    /// <summary>Route name.</summary>
    public string Route { get; init; } = string.Empty;

    /// <summary>Metric interval.</summary>
    public string Interval { get; init; } = string.Empty;

    /// <summary>Template variables.</summary>
    public IReadOnlyDictionary<string, string>? Variables { get; init; }
}

/// <summary>Rendered query or error.</summary>
/// <param name="Query">The query.</param>
/// <param name="Error">The error.</param>
public sealed record MetricQueryRenderResult(string? Query, string? Error)
{
    /// <summary>True when rendered.</summary>
    public bool Succeeded => Error is null;
}

/// <summary>Renders query templates.</summary>
public static partial class MetricQueryRenderer
{
    /// <summary>Renders a template.</summary>
    public static MetricQueryRenderResult Render(string template, MetricQueryVariables variables)
    {
        string? error = null;
        var query = Placeholder().Replace(template, m =>
        {
            var key = m.Groups[1].Value;
            string? value = key switch
            {
                "name" => variables.Name,
                "namespace" => variables.Namespace,
                "target" => variables.Target,
                "service" => variables.Service,
                "ingress" => variables.Ingress,
                "route" => variables.Route,
                "interval" => variables.Interval,
                _ when key.StartsWith("variables.", StringComparison.Ordinal) => variables.Variables?.GetValueOrDefault(key["variables.".Length..]),
                _ => null,
            };
            error ??= value is null ? $"{key} is not defined" : null;
            return value ?? string.Empty;
        });
        return error is null ? new MetricQueryRenderResult(query, null) : new MetricQueryRenderResult(null, error);
    }

    [GeneratedRegex(@"\{\{\s*([a-zA-Z0-9_.\-]+)\s*\}\}")]
    private static partial Regex Placeholder();
}
