using Flagger.Analysis.Judges;
using static Flagger.Tests.Analysis.Judges.ReferenceValues;

namespace Flagger.Tests.Analysis.Judges;

public sealed class SequentialCountJudgeTests
{
    private static readonly ComparisonSettings At95 = new(ComparisonDirection.Increase, 0, false, 0.95);

    public static TheoryData<int> CountRows() => [.. Enumerable.Range(0, Section("counts_dirichlet_multinomial").GetArrayLength())];

    [Theory]
    [MemberData(nameof(CountRows))]
    public void E_values_and_confidence_sequence_match_R(int index)
    {
        var row = Section("counts_dirichlet_multinomial")[index];
        double xC = row.Number("canary_failures"), xB = row.Number("baseline_failures"), w = row.Number("canary_weight");
        var what = $"({xC}, {xB}, w = {w})";

        Close(row.Number("log_bf_k100"), SequentialCountJudge.LogBayesFactor(xC, xB, w), what: $"{what} log E");
        Close(row.Number("log_bf_k10"), SequentialCountJudge.LogBayesFactor(xC, xB, w, k: 10), what: $"{what} log E k=10");
        Close(row.Number("log_e_one_sided_m0"), SequentialCountJudge.LogBayesFactorWithMargin(xC, xB, w, 0), what: $"{what} log E_m m=0");
        Close(row.Number("log_e_one_sided_m0_2"), SequentialCountJudge.LogBayesFactorWithMargin(xC, xB, w, 0.2), what: $"{what} log E_m m=0.2");

        // The interval for r from one segment is R's interval for θ mapped through r = θ(1−w) / (w(1−θ)).
        var (_, lower, upper) = SequentialCountJudge.RatioInterval([new CountSegment(w, (long)xC, 0, (long)xB, 0)], 0.05, SequentialCountJudge.PriorStrength);
        var expected = row.Numbers("cs95_rate_ratio");
        Close(expected[0], lower, 1e-8, $"{what} lower");
        Close(expected[1], upper, 1e-8, $"{what} upper");
    }

    [Fact]
    public void Streaming_looks_keep_the_running_minimum_p_value_of_R()
    {
        var evidence = CountEvidence.Empty;
        long seenC = 0, seenB = 0;
        var runningP = 1.0;
        foreach (var look in Section("counts_streaming_w0_5").EnumerateArray())
        {
            long c = (long)look.Number("canary"), b = (long)look.Number("baseline");
            evidence = evidence.Add(0.5, c - seenC, 0, b - seenB, 0);
            (seenC, seenB) = (c, b);
            var segment = Assert.Single(evidence.Segments);
            var logE = SequentialCountJudge.LogBayesFactor(segment.CanaryFailures, segment.PrimaryFailures, 0.5);
            runningP = Math.Min(runningP, Math.Min(1, Math.Exp(-logE)));
            Close(look.Number("log_bf"), logE, what: $"look {look.Number("t")}");
            Close(look.Number("p_running_min"), runningP, what: $"look {look.Number("t")} p");
        }
    }

    [Fact]
    public void Each_weight_step_is_its_own_segment_and_the_evidence_multiplies()
    {
        foreach (var scenario in new[] { "null_like", "regression" })
        {
            var evidence = CountEvidence.Empty;
            var steps = Section("counts_weight_steps_product").EnumerateArray().Where(s => s.GetProperty("scenario").GetString() == scenario).ToList();
            foreach (var step in steps)
            {
                evidence = evidence.Add(step.Number("canary_weight"), (long)step.Number("canary_failures"), 0, (long)step.Number("baseline_failures"), 0);
            }

            Assert.Equal(steps.Count, evidence.Segments.Count);
            var product = evidence.Segments.Sum(s => SequentialCountJudge.LogBayesFactor(s.CanaryFailures, s.PrimaryFailures, s.CanaryWeight));
            Close(steps[^1].Number("log_bf_product"), product, what: scenario);
        }
    }

    [Fact]
    public void The_judges_mixture_integrates_the_likelihood_over_a_normal_prior_on_log_r()
    {
        // An independent integral of the same mixture (adaptive quadrature instead of the judge's grid).
        CountSegment[] segments = [new(0.1, 4, 600, 5, 5400), new(0.2, 9, 1200, 6, 4800), new(0.3, 15, 1800, 7, 4200)];
        foreach (var ratio in new[] { 0.5, 1.0, 1.5, 3.0 })
        {
            double LogLikelihood(double u) => segments.Sum(s =>
            {
                var share = s.CanaryRequests / (double)(s.CanaryRequests + s.PrimaryRequests);
                var theta = share * Math.Exp(u) / ((share * Math.Exp(u)) + 1 - share);
                return (s.CanaryFailures * Math.Log(theta)) + (s.PrimaryFailures * Math.Log(1 - theta));
            });
            var scale = SequentialCountJudge.PriorScale;
            var marginal = MathNet.Numerics.Integration.DoubleExponentialTransformation.Integrate(
                u => Math.Exp(LogLikelihood(u) - LogLikelihood(0)) * Math.Exp(-u * u / (2 * scale * scale)) / (scale * Math.Sqrt(2 * Math.PI)), -12, 12, 1e-12);
            var expected = Math.Log(marginal) + LogLikelihood(0) - LogLikelihood(Math.Log(ratio));
            Close(expected, SequentialCountJudge.LogEvidenceAgainst(segments, ratio), 1e-6, $"r = {ratio}");
        }
    }

    [Fact]
    public void Verdicts_at_95_percent()
    {
        // Canary 40 of 100 failures at w = 0.1: r is about 6, far beyond 1; 15 of 60 (r = 3) is just enough, while
        // the published test (k = 100) is not yet sure of it; 5 of 50 is what equal rates give.
        Assert.Equal(Verdict.Fail, Judge(40, 60, 0.1, At95).Outcome);
        Assert.Equal(Verdict.Fail, Judge(15, 45, 0.1, At95).Outcome);
        Assert.True(SequentialCountJudge.RatioInterval([new CountSegment(0.1, 15, 0, 45, 0)], 0.05, SequentialCountJudge.PriorStrength).Lower < 1);
        Assert.Equal(Verdict.Inconclusive, Judge(5, 45, 0.1, At95).Outcome);

        // 150 of 1000 at w = 0.1 (r about 1.6) fails without a margin, not with 100%.
        Assert.Equal(Verdict.Fail, Judge(150, 850, 0.1, At95).Outcome);
        Assert.NotEqual(Verdict.Fail, Judge(150, 850, 0.1, At95 with { Margin = 100, MarginIsPercent = true }).Outcome);

        var verdict = Judge(40, 60, 0.1, At95);
        Assert.Equal("failure-rate ratio", verdict.Estimand);
        Assert.Equal(6, verdict.Estimate, 9);
        Assert.True(verdict.Lower > 1 && verdict.Upper > verdict.Estimate, verdict.Reason);
        Assert.Contains("canary failure rate differs from the primary's beyond the margin (ratio 1), 40 canary and 60 primary failures", verdict.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_canary_proven_within_the_margin_passes()
    {
        // 120 of 1000 failures at w = 0.1: r is near 1.2, inside a 100% margin once there are this many failures.
        Assert.Equal(Verdict.Pass, Judge(120, 880, 0.1, At95 with { Margin = 100, MarginIsPercent = true }).Outcome);
        Assert.Equal(Verdict.Inconclusive, Judge(120, 880, 0.1, At95).Outcome);
    }

    [Fact]
    public void Absolute_margins_are_percentage_points_of_failure_rate()
    {
        // Primary 1% failing over 88,000 requests; canary 1.2% over 10,000. A margin of 2 points is r below ~3.
        var evidence = CountEvidence.Empty.Add(0.1, 120, 10_000, 880, 88_000);
        Assert.Equal(Verdict.Pass, SequentialCountJudge.Judge(evidence, At95 with { Margin = 2 }).Outcome);
        Assert.Equal(Verdict.Inconclusive, SequentialCountJudge.Judge(evidence, At95 with { Margin = 0.1 }).Outcome);
    }

    [Fact]
    public void Failures_are_compared_against_the_observed_share_of_requests()
    {
        // The canary answered 30% of the requests at weight 10% and 30% of the failures: no regression, whatever
        // the weight says. Against the weight it would look three times worse.
        var evidence = CountEvidence.Empty.Add(0.1, 300, 30_000, 700, 70_000);
        var verdict = SequentialCountJudge.Judge(evidence, At95);
        Assert.Equal(Verdict.Inconclusive, verdict.Outcome);
        Assert.Equal(1, verdict.Estimate, 6);
    }

    [Fact]
    public void No_failures_anywhere_is_inconclusive_and_weight_0_adds_nothing()
    {
        var evidence = CountEvidence.Empty.Add(0, 0, 0, 5, 500).Add(0.2, 0, 100, 0, 400);
        Assert.Single(evidence.Segments);
        var verdict = SequentialCountJudge.Judge(evidence, At95);
        Assert.Equal(Verdict.Inconclusive, verdict.Outcome);
        Assert.Equal("no failed requests on either side yet", verdict.Reason);
        Assert.Equal((100, 400), (verdict.CanaryCount, verdict.PrimaryCount));
    }

    private static JudgeVerdict Judge(long canaryFailures, long primaryFailures, double weight, ComparisonSettings settings) =>
        SequentialCountJudge.Judge(CountEvidence.Empty.Add(weight, canaryFailures, 0, primaryFailures, 0), settings);
}
