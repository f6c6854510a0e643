namespace Flagger.Analysis.Judges;

/// <summary>Request counts of both sides while the canary's share of traffic stayed the same.</summary>
/// <param name="CanaryWeight">The canary's share of requests, in (0, 1).</param>
/// <param name="CanaryFailures">Failed requests answered by the canary.</param>
/// <param name="CanaryRequests">All requests answered by the canary (0 when unknown).</param>
/// <param name="PrimaryFailures">Failed requests answered by the primary.</param>
/// <param name="PrimaryRequests">All requests answered by the primary (0 when unknown).</param>
public readonly record struct CountSegment(double CanaryWeight, long CanaryFailures, long CanaryRequests, long PrimaryFailures, long PrimaryRequests);

/// <summary>
/// The evidence a sequential count test has gathered since the canary started: one segment per traffic weight,
/// because the test's null hypothesis (each failure lands on the canary with probability equal to its share of
/// traffic) changes with the weight. Counts accumulate across analysis intervals and across steps: a request is
/// a request at any weight. Immutable: <see cref="Add"/> returns the next state, so it can live in a status.
/// </summary>
public sealed record CountEvidence
{
    /// <summary>No evidence: a canary that has not served a request.</summary>
    public static CountEvidence Empty { get; } = new();

    /// <summary>The segments, oldest first; the last one grows while the weight stays.</summary>
    public IReadOnlyList<CountSegment> Segments { get; init; } = [];

    /// <summary>Failed canary requests over all segments.</summary>
    public long CanaryFailures => Sum(static s => s.CanaryFailures);

    /// <summary>Canary requests over all segments.</summary>
    public long CanaryRequests => Sum(static s => s.CanaryRequests);

    /// <summary>Failed primary requests over all segments.</summary>
    public long PrimaryFailures => Sum(static s => s.PrimaryFailures);

    /// <summary>Primary requests over all segments.</summary>
    public long PrimaryRequests => Sum(static s => s.PrimaryRequests);

    /// <summary>
    /// Adds one interval's increase of each side's counters, served while the canary had <paramref name="canaryWeight"/>
    /// of the traffic. An interval at weight 0 or 1 carries no comparison and is ignored.
    /// </summary>
    /// <param name="canaryWeight">The canary's share of requests during the interval, in [0, 1].</param>
    /// <param name="canaryFailures">Failed canary requests in the interval.</param>
    /// <param name="canaryRequests">All canary requests in the interval.</param>
    /// <param name="primaryFailures">Failed primary requests in the interval.</param>
    /// <param name="primaryRequests">All primary requests in the interval.</param>
    /// <returns>The evidence including the interval.</returns>
    public CountEvidence Add(double canaryWeight, long canaryFailures, long canaryRequests, long primaryFailures, long primaryRequests)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(canaryFailures);
        ArgumentOutOfRangeException.ThrowIfNegative(canaryRequests);
        ArgumentOutOfRangeException.ThrowIfNegative(primaryFailures);
        ArgumentOutOfRangeException.ThrowIfNegative(primaryRequests);
        if (!(canaryWeight > 0 && canaryWeight < 1))
        {
            return this;
        }

        var count = Segments.Count;
        var segments = new CountSegment[count > 0 && Segments[^1].CanaryWeight == canaryWeight ? count : count + 1];
        for (var i = 0; i < count; i++)
        {
            segments[i] = Segments[i];
        }

        var last = segments.Length == count ? segments[^1] : new CountSegment(canaryWeight, 0, 0, 0, 0);
        segments[^1] = last with
        {
            CanaryFailures = last.CanaryFailures + canaryFailures,
            CanaryRequests = last.CanaryRequests + canaryRequests,
            PrimaryFailures = last.PrimaryFailures + primaryFailures,
            PrimaryRequests = last.PrimaryRequests + primaryRequests,
        };
        return new CountEvidence { Segments = segments };
    }

    private long Sum(Func<CountSegment, long> field)
    {
        long total = 0;
        foreach (var segment in Segments)
        {
            total += field(segment);
        }

        return total;
    }
}
