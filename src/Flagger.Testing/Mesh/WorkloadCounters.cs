namespace Flagger.Testing.Mesh;

/// <summary>Istio's destination-reported counters of one workload at one moment: what a scrape would read.</summary>
/// <param name="Namespace">Namespace of the workload.</param>
/// <param name="Workload">Name of the workload (the Deployment).</param>
/// <param name="Total">Requests answered so far.</param>
/// <param name="Failed">Of those, answered with a 5xx.</param>
/// <param name="Buckets">Requests at or below each of <see cref="IstioHistogram.Buckets"/>, cumulative.</param>
public sealed record WorkloadCounters(string Namespace, string Workload, double Total, double Failed, IReadOnlyList<double> Buckets)
{
    /// <summary>Counters of a workload that has answered nothing yet.</summary>
    /// <param name="ns">Namespace.</param>
    /// <param name="workload">Workload name.</param>
    /// <returns>Zero counters.</returns>
    public static WorkloadCounters Empty(string ns, string workload) => new(ns, workload, 0, 0, new double[IstioHistogram.Buckets.Count]);

    /// <summary>These counters plus <paramref name="requests"/> more, a share of them failing, with the given P99.</summary>
    /// <param name="requests">Requests answered.</param>
    /// <param name="errorPercent">Share of them answered with a 5xx, in percent.</param>
    /// <param name="p99Milliseconds">Their P99 duration.</param>
    /// <returns>The new counters.</returns>
    public WorkloadCounters Add(double requests, double errorPercent, double p99Milliseconds)
    {
        var fractions = IstioHistogram.CumulativeFractions(p99Milliseconds);
        var buckets = new double[Buckets.Count];
        for (var i = 0; i < buckets.Length; i++)
        {
            buckets[i] = Buckets[i] + (requests * fractions[i]);
        }

        return this with { Total = Total + requests, Failed = Failed + (requests * errorPercent / 100), Buckets = buckets };
    }

    /// <summary>What happened between <paramref name="earlier"/> and these counters.</summary>
    internal WorkloadCounters Minus(WorkloadCounters earlier) =>
        this with
        {
            Total = Total - earlier.Total,
            Failed = Failed - earlier.Failed,
            Buckets = [.. Buckets.Select((b, i) => b - earlier.Buckets[i])],
        };
}
