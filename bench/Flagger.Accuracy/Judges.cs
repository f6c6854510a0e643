using Flagger.Analysis.Judges;

namespace Flagger.Accuracy;

/// <summary>One analysis interval's data: six 10-second slots of each side, at one canary weight.</summary>
internal sealed class IntervalData
{
    public IntervalData()
    {
        for (var i = 0; i < Traffic.SlotsPerInterval; i++)
        {
            Canary[i] = new SlotCounts(Traffic.Edges.Length);
            Primary[i] = new SlotCounts(Traffic.Edges.Length);
        }
    }

    public SlotCounts[] Canary { get; } = new SlotCounts[Traffic.SlotsPerInterval];

    public SlotCounts[] Primary { get; } = new SlotCounts[Traffic.SlotsPerInterval];

    public double Weight { get; set; }
}

/// <summary>A judge as the rollout sees it: one verdict per analysis interval, with state across the rollout.</summary>
internal interface IRolloutJudge
{
    void Start();

    Verdict Judge(IntervalData data);
}

/// <summary>
/// Flagger's builtin checks on the canary alone, as the walkthrough sets them: request success rate at least 99% and
/// p99 request duration (histogram_quantile over the buckets) at most 500 ms over the 1-minute window. A window
/// without canary requests gives "no values", which is a failed check.
/// </summary>
internal sealed class ThresholdJudge : IRolloutJudge
{
    private readonly long[] _buckets = new long[Traffic.Edges.Length];

    public void Start()
    {
    }

    public Verdict Judge(IntervalData data)
    {
        long requests = 0, failures = 0;
        Array.Clear(_buckets);
        foreach (var slot in data.Canary)
        {
            requests += slot.Requests;
            failures += slot.Failures;
            for (var i = 0; i < _buckets.Length; i++)
            {
                _buckets[i] += slot.Buckets[i];
            }
        }

        if (requests == 0)
        {
            return Verdict.Fail;
        }

        var successRate = 100.0 * (requests - failures) / requests;
        return successRate < 99 || HistogramQuantile(0.99, _buckets, requests) > 500 ? Verdict.Fail : Verdict.Pass;
    }

    // Prometheus' histogram_quantile: linear interpolation inside the bucket holding the rank; the +Inf bucket
    // answers with the highest finite bound.
    private static double HistogramQuantile(double q, long[] buckets, long total)
    {
        var rank = q * total;
        long cumulative = 0;
        for (var i = 0; i < buckets.Length; i++)
        {
            var before = cumulative;
            cumulative += buckets[i];
            if (cumulative >= rank)
            {
                if (double.IsPositiveInfinity(Traffic.Edges[i]))
                {
                    return Traffic.Edges[i - 1];
                }

                var lower = i == 0 ? 0 : Traffic.Edges[i - 1];
                return lower + ((Traffic.Edges[i] - lower) * (rank - before) / Math.Max(1, buckets[i]));
            }
        }

        return Traffic.Edges[^2];
    }
}

/// <summary>
/// Kayenta's judge per interval, as Argo Rollouts runs it: for each metric, one value per 10-second step of each
/// side (error rate in percent, mean latency), a Mann-Whitney test at 98% with the 25% tolerance band, direction
/// increase. Either metric failing fails the interval; a step without requests gives no value (dropped).
/// </summary>
internal sealed class KayentaJudge : IRolloutJudge
{
    private static readonly ComparisonSettings Settings = new(ComparisonDirection.Increase, 0, false, MannWhitneyJudge.DefaultConfidence);
    private readonly double[] _canary = new double[Traffic.SlotsPerInterval];
    private readonly double[] _primary = new double[Traffic.SlotsPerInterval];

    public void Start()
    {
    }

    public Verdict Judge(IntervalData data)
    {
        Fill(data, static s => 100.0 * s.Failures / s.Requests);
        var errors = MannWhitneyJudge.Judge(_canary, _primary, Settings).Outcome;
        Fill(data, static s => s.LatencySum / s.Requests);
        var latency = MannWhitneyJudge.Judge(_canary, _primary, Settings).Outcome;
        return errors == Verdict.Fail || latency == Verdict.Fail ? Verdict.Fail
            : errors == Verdict.Inconclusive && latency == Verdict.Inconclusive ? Verdict.Inconclusive
            : Verdict.Pass;
    }

    private void Fill(IntervalData data, Func<SlotCounts, double> value)
    {
        for (var i = 0; i < Traffic.SlotsPerInterval; i++)
        {
            _canary[i] = data.Canary[i].Requests == 0 ? double.NaN : value(data.Canary[i]);
            _primary[i] = data.Primary[i].Requests == 0 ? double.NaN : value(data.Primary[i]);
        }
    }
}

/// <summary>
/// This product's sequential judge: the failure counts of both sides accumulate in <see cref="CountEvidence"/>
/// (one segment per weight) and the latency buckets accumulate since the start, each judged anytime-valid at half the
/// error budget, so one rollout's chance of a false Fail stays under 1 − confidence however many intervals it lasts.
/// </summary>
internal sealed class SequentialJudge(double confidence) : IRolloutJudge
{
    private readonly long[] _canaryBuckets = new long[Traffic.Edges.Length];
    private readonly long[] _primaryBuckets = new long[Traffic.Edges.Length];
    private readonly long[] _canaryCumulative = new long[Traffic.Edges.Length];
    private readonly long[] _primaryCumulative = new long[Traffic.Edges.Length];
    private CountEvidence _evidence = CountEvidence.Empty;

    private ComparisonSettings Settings => new(ComparisonDirection.Increase, 0, false, 1 - ((1 - confidence) / 2));

    public void Start()
    {
        _evidence = CountEvidence.Empty;
        Array.Clear(_canaryBuckets);
        Array.Clear(_primaryBuckets);
    }

    public Verdict Judge(IntervalData data)
    {
        long cf = 0, cn = 0, pf = 0, pn = 0;
        for (var s = 0; s < Traffic.SlotsPerInterval; s++)
        {
            var (c, p) = (data.Canary[s], data.Primary[s]);
            (cf, cn, pf, pn) = (cf + c.Failures, cn + c.Requests, pf + p.Failures, pn + p.Requests);
            for (var i = 0; i < _canaryBuckets.Length; i++)
            {
                _canaryBuckets[i] += c.Buckets[i];
                _primaryBuckets[i] += p.Buckets[i];
            }
        }

        _evidence = _evidence.Add(data.Weight, cf, cn, pf, pn);
        var errors = SequentialCountJudge.Judge(_evidence, Settings).Outcome;
        Cumulate(_canaryBuckets, _canaryCumulative);
        Cumulate(_primaryBuckets, _primaryCumulative);
        var latency = SequentialLatencyJudge.Judge(Traffic.Edges, _canaryCumulative, _primaryCumulative, Settings).Outcome;
        return errors == Verdict.Fail || latency == Verdict.Fail ? Verdict.Fail
            : errors == Verdict.Pass && latency == Verdict.Pass ? Verdict.Pass
            : Verdict.Inconclusive;
    }

    private static void Cumulate(long[] buckets, long[] cumulative)
    {
        long total = 0;
        for (var i = 0; i < buckets.Length; i++)
        {
            total += buckets[i];
            cumulative[i] = total;
        }
    }
}
