using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace Flagger.Metrics;

/// <summary>
/// Fills a MetricTemplate query (or a builtin query) with a canary's values: <c>{{ namespace }}</c>,
/// <c>{{ target }}</c>, <c>{{ service }}</c>, <c>{{ name }}</c>, <c>{{ interval }}</c>, <c>{{ ingress }}</c>,
/// <c>{{ route }}</c> and <c>{{ variables.key }}</c>.
/// </summary>
/// <remarks>
/// Only the placeholder subset of Go templates that Flagger documents is understood: spaces inside the braces are
/// optional and Go's trim markers (<c>{{- x -}}</c>) remove the whitespace beside the placeholder. Anything else
/// between braces is an error naming it, so a typo fails the check instead of reaching the metrics backend.
/// </remarks>
public static class MetricQueryRenderer
{
    private const string Open = "{{";
    private const string Close = "}}";
    private const string VariablesPrefix = "variables.";
    private const string KnownPlaceholders = "name, namespace, target, service, ingress, route, interval and variables.<key>";

    /// <summary>Renders <paramref name="template"/>, or names the first placeholder it cannot fill.</summary>
    /// <param name="template">Query text with placeholders.</param>
    /// <param name="variables">The canary's values.</param>
    public static MetricQueryRenderResult Render(string template, MetricQueryVariables variables)
    {
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(variables);
        return Expand(template, placeholder => Resolve(placeholder, variables));
    }

    /// <summary>The error for the first placeholder no canary could fill, or null; for validating templates alone.</summary>
    internal static string? FindUnknownPlaceholder(string template) =>
        Expand(template, placeholder => IsKnown(placeholder) ? Resolved.Value(string.Empty) : Resolved.Unknown(placeholder)).Error;

    private static MetricQueryRenderResult Expand(string template, Func<string, Resolved> resolve)
    {
        var output = new StringBuilder(template.Length);
        var position = 0;
        while (position < template.Length)
        {
            var start = template.IndexOf(Open, position, StringComparison.Ordinal);
            if (start < 0)
            {
                output.Append(template, position, template.Length - position);
                break;
            }

            var end = template.IndexOf(Close, start + Open.Length, StringComparison.Ordinal);
            if (end < 0)
            {
                return MetricQueryRenderResult.Failed($"unclosed '{Open}' at offset {start} of the query");
            }

            var text = template.Substring(position, start - position);
            var action = template[(start + Open.Length)..end];

            // Go's trim markers need a space beside the dash: "{{- x -}}" trims, "{{-3}}" is a number.
            var trimBefore = action.Length >= 2 && action[0] == '-' && char.IsWhiteSpace(action[1]);
            var trimAfter = action.Length >= 2 && action[^1] == '-' && char.IsWhiteSpace(action[^2]);
            action = action[(trimBefore ? 1 : 0)..(action.Length - (trimAfter ? 1 : 0))].Trim();
            output.Append(trimBefore ? text.TrimEnd() : text);

            var resolved = resolve(action);
            if (resolved.Error is { } error)
            {
                return MetricQueryRenderResult.Failed(error);
            }

            output.Append(resolved.Text);
            position = end + Close.Length;
            if (trimAfter)
            {
                while (position < template.Length && char.IsWhiteSpace(template[position]))
                {
                    position++;
                }
            }
        }

        return MetricQueryRenderResult.Rendered(output.ToString());
    }

    private static Resolved Resolve(string placeholder, MetricQueryVariables variables)
    {
        if (placeholder.StartsWith(VariablesPrefix, StringComparison.Ordinal) && placeholder.Length > VariablesPrefix.Length)
        {
            var key = placeholder[VariablesPrefix.Length..];
            return variables.Variables is { } map && map.TryGetValue(key, out var value)
                ? Resolved.Value(value ?? string.Empty)
                : Resolved.Missing($"variables.{key} is not defined in the canary's templateVariables");
        }

        return placeholder switch
        {
            "name" => Resolved.Value(variables.Name),
            "namespace" => Resolved.Value(variables.Namespace),
            "target" => Resolved.Value(variables.Target),
            "service" => Resolved.Value(variables.Service),
            "interval" => Resolved.Value(variables.Interval),
            "ingress" => Resolved.Value(variables.Ingress ?? variables.Target),
            "route" => Resolved.Value(variables.Route ?? variables.Target),
            _ => Resolved.Unknown(placeholder),
        };
    }

    private static bool IsKnown(string placeholder) =>
        placeholder is "name" or "namespace" or "target" or "service" or "interval" or "ingress" or "route" ||
        (placeholder.StartsWith(VariablesPrefix, StringComparison.Ordinal) && placeholder.Length > VariablesPrefix.Length);

    private readonly record struct Resolved(string Text, string? Error)
    {
        public static Resolved Value(string text) => new(text, null);

        public static Resolved Missing(string error) => new(string.Empty, error);

        public static Resolved Unknown(string placeholder) =>
            new(string.Empty, $"unknown placeholder '{Open} {placeholder} {Close}' in the query; known placeholders are {KnownPlaceholders}");
    }
}

/// <summary>A rendered query, or why it could not be rendered.</summary>
public sealed record MetricQueryRenderResult
{
    private MetricQueryRenderResult(string? query, string? error)
    {
        Query = query;
        Error = error;
    }

    /// <summary>The query ready to send, when rendering succeeded.</summary>
    public string? Query { get; }

    /// <summary>Why rendering failed, naming the placeholder or variable; becomes the event text.</summary>
    public string? Error { get; }

    /// <summary>True when <see cref="Query"/> holds the rendered query.</summary>
    [MemberNotNullWhen(true, nameof(Query))]
    [MemberNotNullWhen(false, nameof(Error))]
    public bool Succeeded => Error is null;

    /// <summary>A rendered query.</summary>
    public static MetricQueryRenderResult Rendered(string query) => new(query, null);

    /// <summary>A failure with its reason.</summary>
    public static MetricQueryRenderResult Failed(string error) => new(null, error);
}
