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
        var (_, lower, upper) = SequentialCountJudge.RatioInterval([new CountSegment(w, (long)xC, 0, (long)xB, 0)], 0.05);
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
    public void Verdicts_follow_the_reference_reading_at_95_percent()
    {
        // (40, 60) at w = 0.1 fails; (150, 850) fails without a margin but not with 20%; (15, 45) is inconclusive.
        Assert.Equal(Verdict.Fail, Judge(40, 60, 0.1, At95).Outcome);
        Assert.Equal(Verdict.Fail, Judge(150, 850, 0.1, At95).Outcome);
        Assert.Equal(Verdict.Inconclusive, Judge(150, 850, 0.1, At95 with { Margin = 20, MarginIsPercent = true }).Outcome);
        Assert.Equal(Verdict.Inconclusive, Judge(15, 45, 0.1, At95).Outcome);
        Assert.Equal(Verdict.Inconclusive, Judge(9, 31, 0.05, At95).Outcome);

        var verdict = Judge(40, 60, 0.1, At95);
        Assert.Equal("failure-rate ratio", verdict.Estimand);
        Assert.Equal(6, verdict.Estimate, 9);
        Assert.Contains("canary failure rate differs from the primary's beyond the margin (1x), 40 canary and 60 primary failures", verdict.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_canary_proven_within_the_margin_passes()
    {
        // 120 of 1000 failures at w = 0.1: r is in [0.91, 1.62], inside a 100% margin, outside none.
        Assert.Equal(Verdict.Pass, Judge(120, 880, 0.1, At95 with { Margin = 100, MarginIsPercent = true }).Outcome);
        Assert.Equal(Verdict.Inconclusive, Judge(120, 880, 0.1, At95).Outcome);
    }

    [Fact]
    public void Absolute_margins_are_percentage_points_of_failure_rate()
    {
        // Primary 1% failing over 88,000 requests; canary 1.36% over 10,000. A margin of 2 points is r < ~3.
        var evidence = CountEvidence.Empty.Add(0.1, 120, 10_000, 880, 88_000);
        Assert.Equal(Verdict.Pass, SequentialCountJudge.Judge(evidence, At95 with { Margin = 2 }).Outcome);
        Assert.Equal(Verdict.Inconclusive, SequentialCountJudge.Judge(evidence, At95 with { Margin = 0.1 }).Outcome);
    }

    [Fact]
    public void A_traffic_split_unlike_the_weight_makes_the_verdict_inconclusive()
    {
        // The canary answered 30% of the requests at weight 10%: failures cannot be compared against w.
        var evidence = CountEvidence.Empty.Add(0.1, 300, 30_000, 700, 70_000);
        var verdict = SequentialCountJudge.Judge(evidence, At95);
        Assert.Equal(Verdict.Inconclusive, verdict.Outcome);
        Assert.Contains("not split between canary and primary as the weight says", verdict.Reason, StringComparison.Ordinal);
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
