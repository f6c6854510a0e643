using Flagger.Analysis.Judges;

namespace Flagger.Model;

/// <summary>
/// One analysis metric's last check, in <c>status.metrics</c>: its verdict and value, what a comparison rests on
/// (estimate, interval, sample sizes), a short history for charts, and the evidence a sequential test has gathered
/// since the run started, kept here so that an operator restart does not lose it.
/// </summary>
public sealed record CanaryMetricStatus
{
    /// <summary>The most values <see cref="History"/> keeps.</summary>
    public const int HistoryLength = 10;

    /// <summary>The metric's name, as in <c>analysis.metrics[].name</c>.</summary>
    public string? Name { get; init; }

    /// <summary><c>threshold</c>, <c>sequential</c> or <c>mann-whitney</c>.</summary>
    public string? Method { get; init; }

    /// <summary>
    /// The last verdict: <c>Pass</c>, <c>Fail</c> or <c>Inconclusive</c> for a comparison; <c>Pass</c>, <c>Fail</c>,
    /// <c>NoValues</c> (the query returned nothing) or <c>Failed</c> (the query failed) for a threshold.
    /// </summary>
    public string? Verdict { get; init; }

    /// <summary>
    /// The last value: the query's result for a threshold metric; for a comparison, the canary's own value over the
    /// check (its success rate in percent, or the median of its samples). Absent when there was none.
    /// </summary>
    public double? Value { get; init; }

    /// <summary>What <see cref="Estimate"/> measures (<c>failure-rate ratio</c>, <c>CDF gap</c>, <c>shift</c>).</summary>
    public string? Estimand { get; init; }

    /// <summary>A comparison's point estimate of the canary against the primary.</summary>
    public double? Estimate { get; init; }

    /// <summary>The lower end of the estimate's confidence interval (absent when unbounded).</summary>
    public double? Lower { get; init; }

    /// <summary>The upper end of the estimate's confidence interval (absent when unbounded).</summary>
    public double? Upper { get; init; }

    /// <summary>Observations on the canary's side (requests, or samples for mann-whitney).</summary>
    public long? CanaryCount { get; init; }

    /// <summary>Observations on the primary's side.</summary>
    public long? PrimaryCount { get; init; }

    /// <summary>When the metric was last checked.</summary>
    public DateTimeOffset? LastCheckTime { get; init; }

    /// <summary>Why the verdict, in one sentence.</summary>
    public string? Message { get; init; }

    /// <summary>The last values (<see cref="Value"/>), oldest first, at most <see cref="HistoryLength"/>.</summary>
    public IReadOnlyList<double>? History { get; init; }

    /// <summary>A sequential error-rate test's request counts since the run started, one segment per canary weight.</summary>
    public IReadOnlyList<CountSegment>? Counts { get; init; }

    /// <summary>A sequential latency test's histogram since the run started.</summary>
    public LatencyEvidence? Latency { get; init; }

    /// <summary>When the comparison's samples start (the run's first check of the metric).</summary>
    public DateTimeOffset? Since { get; init; }

    /// <summary>Compares by content, lists included.</summary>
    public bool Equals(CanaryMetricStatus? other) =>
        ReferenceEquals(this, other)
        || (other is not null
        && Name == other.Name && Method == other.Method && Verdict == other.Verdict && Nullable.Equals(Value, other.Value)
        && Estimand == other.Estimand && Nullable.Equals(Estimate, other.Estimate) && Nullable.Equals(Lower, other.Lower)
        && Nullable.Equals(Upper, other.Upper) && CanaryCount == other.CanaryCount && PrimaryCount == other.PrimaryCount
        && LastCheckTime == other.LastCheckTime && Message == other.Message && Since == other.Since
        && (History ?? []).SequenceEqual(other.History ?? [])
        && (Counts ?? []).SequenceEqual(other.Counts ?? [])
        && Equals(Latency, other.Latency));

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Name, Verdict, Value, LastCheckTime);
}

/// <summary>A latency histogram accumulated on both sides since the run started.</summary>
public sealed record LatencyEvidence
{
    /// <summary>The finite bucket bounds in milliseconds, ascending (the +Inf bucket is implied).</summary>
    public IReadOnlyList<double> Bounds { get; init; } = [];

    /// <summary>The canary's cumulative count per bound, then its total.</summary>
    public IReadOnlyList<long> Canary { get; init; } = [];

    /// <summary>The primary's cumulative count per bound, then its total.</summary>
    public IReadOnlyList<long> Primary { get; init; } = [];

    /// <summary>Compares by content.</summary>
    public bool Equals(LatencyEvidence? other) =>
        ReferenceEquals(this, other)
        || (other is not null && Bounds.SequenceEqual(other.Bounds) && Canary.SequenceEqual(other.Canary) && Primary.SequenceEqual(other.Primary));

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Bounds.Count, Canary.Count > 0 ? Canary[^1] : 0);
}
