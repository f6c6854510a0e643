using CsCheck;
using Flagger.Analysis.Judges;

namespace Flagger.Tests.Analysis.Judges;

/// <summary>
/// Properties of the judges over generated data. The error-rate properties simulate whole rollouts with many looks;
/// CsCheck prints the seed of a failing case, and the messages name it too, so a failure can be replayed.
/// </summary>
public sealed class JudgePropertyTests
{
    private const double Alpha = 0.05;
    private const int Rollouts = 300;
    private const int Looks = 30;

    // Binomial slack: the observed rate of a fair test may exceed α by three standard errors by chance.
    private static readonly double Slack = 3 * Math.Sqrt(Alpha * (1 - Alpha) / Rollouts);

    [Fact]
    public void Under_the_null_the_count_judge_falsely_fails_at_most_alpha_of_rollouts_over_30_looks() =>
        Gen.Select(Gen.Int, Gen.Double[0.002, 0.05], Gen.Double[2, 40]).Sample(
            (seed, failureRate, requestsPerSecond) =>
            {
                var random = new Random(seed);
                var settings = new ComparisonSettings(ComparisonDirection.Increase, 0, false, 1 - Alpha);
                var falseFails = 0;
                for (var r = 0; r < Rollouts; r++)
                {
                    var evidence = CountEvidence.Empty;
                    for (var look = 0; look < Looks; look++)
                    {
                        // The weight steps up every 6 looks; the shared failure rate drifts; both sides are equal.
                        var weight = 0.1 * (1 + (look / 6));
                        var rate = failureRate * (1 + (0.8 * Math.Sin(look / 5.0)));
                        var requests = Poisson(random, requestsPerSecond * 60);
                        var canaryRequests = Binomial(random, requests, weight);
                        evidence = evidence.Add(weight, Binomial(random, canaryRequests, rate), canaryRequests,
                            Binomial(random, requests - canaryRequests, rate), requests - canaryRequests);
                        if (SequentialCountJudge.Judge(evidence, settings).Outcome == Verdict.Fail)
                        {
                            falseFails++;
                            break;
                        }
                    }
                }

                Assert.True(falseFails <= (Alpha + Slack) * Rollouts,
                    $"seed {seed}: {falseFails} of {Rollouts} A/A rollouts failed at some look (failure rate {failureRate:P2}, {requestsPerSecond:F1} req/s)");
            },
            iter: 3);

    [Fact]
    public void Under_the_null_the_latency_judge_falsely_fails_at_most_alpha_of_rollouts_over_30_looks() =>
        Gen.Select(Gen.Int, Gen.Double[0.2, 0.8], Gen.Int[5, 60]).Sample(
            (seed, sigma, perLook) =>
            {
                double[] edges = [5, 10, 25, 50, 100, 250, 500, 1000, double.PositiveInfinity];
                var random = new Random(seed);
                var settings = new ComparisonSettings(ComparisonDirection.Either, 0, false, 1 - Alpha);
                var falseFails = 0;
                for (var r = 0; r < Rollouts; r++)
                {
                    var canary = new long[edges.Length];
                    var primary = new long[edges.Length];
                    for (var look = 0; look < Looks; look++)
                    {
                        AddRequests(random, canary, edges, perLook, sigma);
                        AddRequests(random, primary, edges, perLook * 4, sigma);
                        if (SequentialLatencyJudge.Judge(edges, canary, primary, settings).Outcome == Verdict.Fail)
                        {
                            falseFails++;
                            break;
                        }
                    }
                }

                Assert.True(falseFails <= (Alpha + Slack) * Rollouts,
                    $"seed {seed}: {falseFails} of {Rollouts} A/A rollouts failed at some look (sigma {sigma:F2}, {perLook} canary requests per look)");
            },
            iter: 3);

    [Fact]
    public void The_count_judges_interval_holds_its_estimate() =>
        Gen.Select(Gen.Int[0, 200], Gen.Int[0, 400], Gen.Double[0.05, 0.5], Gen.Double[0.8, 0.999]).Sample(
            (canary, primary, weight, confidence) =>
            {
                var verdict = SequentialCountJudge.Judge(CountEvidence.Empty.Add(weight, canary, 0, primary, 0),
                    new ComparisonSettings(ComparisonDirection.Either, 0, false, confidence));
                if (canary + primary == 0)
                {
                    Assert.Equal(Verdict.Inconclusive, verdict.Outcome);
                    return;
                }

                Assert.True(verdict.Lower <= verdict.Estimate && verdict.Estimate <= verdict.Upper, verdict.Reason);
                Assert.Equal(verdict.Outcome == Verdict.Fail, verdict.Lower > 1 || verdict.Upper < 1);
            },
            iter: 2_000);

    [Fact]
    public void Swapping_the_sides_keeps_the_rank_test_symmetric() =>
        Gen.Select(Gen.Double[0, 100].Array[1, 40], Gen.Double[0, 100].Array[1, 40]).Sample(
            (x, y) =>
            {
                if (x.Distinct().Count() == 1 && y.Distinct().Count() == 1)
                {
                    return; // both sides constant: no interval (R's too)
                }

                var forward = MannWhitneyResult.Compute(x, y, 0.98);
                var backward = MannWhitneyResult.Compute(y, x, 0.98);
                Assert.Equal(x.Length * (double)y.Length, forward.W + backward.W, 9);
                Assert.Equal(forward.PValue, backward.PValue, 12);
                if (double.IsNaN(forward.Lower))
                {
                    // Ties at a bracket end leave no interval (R stops there too): the judge cannot decide.
                    var verdict = MannWhitneyJudge.Judge(x, y, new ComparisonSettings(ComparisonDirection.Either, 0, false, 0.98));
                    Assert.Equal(Verdict.Inconclusive, verdict.Outcome);
                    return;
                }

                Assert.True(forward.Lower <= forward.Upper, $"[{forward.Lower}, {forward.Upper}] for x = [{string.Join(", ", x)}], y = [{string.Join(", ", y)}]");
            },
            iter: 500);

    private static void AddRequests(Random random, long[] cumulative, double[] edges, int count, double sigma)
    {
        for (var i = 0; i < count; i++)
        {
            var latency = 60 * Math.Exp(sigma * Normal(random));
            for (var e = 0; e < edges.Length; e++)
            {
                if (latency <= edges[e])
                {
                    cumulative[e]++;
                }
            }
        }
    }

    private static double Normal(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    private static long Poisson(Random random, double mean) =>
        Math.Max(0, (long)Math.Round(mean + (Math.Sqrt(mean) * Normal(random))));

    private static long Binomial(Random random, long n, double p)
    {
        if (n > 200)
        {
            return Math.Clamp((long)Math.Round((n * p) + (Math.Sqrt(n * p * (1 - p)) * Normal(random))), 0, n);
        }

        long successes = 0;
        for (var i = 0; i < n; i++)
        {
            successes += random.NextDouble() < p ? 1 : 0;
        }

        return successes;
    }
}
