namespace Flagger.Model;

/// <summary>
/// A metric's <c>comparison</c> block: the metric is judged against the primary over the same window instead of
/// against a fixed bound. A metric without it keeps its thresholds.
/// </summary>
public sealed record MetricComparison
{
    /// <summary><c>sequential</c> (anytime-valid, over request counts) or <c>mann-whitney</c> (Kayenta-compatible, over per-interval samples).</summary>
    public string? Method { get; init; }

    /// <summary>Which way is worse: <c>increase</c>, <c>decrease</c> or <c>either</c> (default <c>increase</c>).</summary>
    public string? Direction { get; init; }

    /// <summary>The smallest degradation that matters: a number in the metric's unit, or a percentage of the primary's value such as <c>5%</c>.</summary>
    public ComparisonMargin? Margin { get; init; }

    /// <summary>Confidence of the verdicts, between 0.5 and 1 exclusive (default 0.99 for sequential, 0.98 for mann-whitney).</summary>
    public double? Confidence { get; init; }
}

/// <summary>The comparison methods a metric may name.</summary>
public static class ComparisonMethods
{
    /// <summary>Anytime-valid sequential test over per-request counts.</summary>
    public const string Sequential = "sequential";

    /// <summary>Kayenta's fixed-horizon Mann-Whitney test over per-interval samples.</summary>
    public const string MannWhitney = "mann-whitney";

    /// <summary>All known methods.</summary>
    public static IReadOnlyList<string> All { get; } = [Sequential, MannWhitney];
}

/// <summary>The directions a comparison may name.</summary>
public static class ComparisonDirections
{
    /// <summary>A higher canary value is worse (errors, latency).</summary>
    public const string Increase = "increase";

    /// <summary>A lower canary value is worse (success rate, throughput).</summary>
    public const string Decrease = "decrease";

    /// <summary>Any difference is worse.</summary>
    public const string Either = "either";

    /// <summary>All known directions.</summary>
    public static IReadOnlyList<string> All { get; } = [Increase, Decrease, Either];
}
