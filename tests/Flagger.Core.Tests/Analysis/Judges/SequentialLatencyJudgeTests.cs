using Flagger.Analysis.Judges;
using static Flagger.Tests.Analysis.Judges.ReferenceValues;

namespace Flagger.Tests.Analysis.Judges;

public sealed class SequentialLatencyJudgeTests
{
    private static readonly ComparisonSettings At95 = new(ComparisonDirection.Increase, 0, false, 0.95);

    [Fact]
    public void Band_half_widths_match_R()
    {
        foreach (var row in Section("cdf_band_epsilon").GetProperty("rows").EnumerateArray())
        {
            var n = row.GetProperty("n").ValueKind == System.Text.Json.JsonValueKind.String
                ? double.Parse(row.GetProperty("n").GetString()!, System.Globalization.CultureInfo.InvariantCulture)
                : row.Number("n");
            Close(row.Number("closed_form_a0_05"), SequentialLatencyJudge.BandHalfWidth(n, 0.05), what: $"n = {n}, a = 0.05");
            Close(row.Number("closed_form_a0_025"), SequentialLatencyJudge.BandHalfWidth(n, 0.025), what: $"n = {n}, a = 0.025");
        }
    }

    [Theory]
    [InlineData("look1_slow_canary_n400_alpha0_05_delta0", 1, 1, 0.0)]
    [InlineData("look2_slow_canary_x5_n2000_alpha0_05_delta0", 1, 5, 0.0)]
    [InlineData("look3_baseline_x5_similar_canary_x10_alpha0_05_delta0_10", 5, 10, 0.10)]
    public void Histogram_looks_match_R(string look, int primaryScale, int canaryScale, double cdfMargin)
    {
        var example = Section("histogram_example");
        var expected = example.GetProperty(look);
        var primary = Counts(example, "baseline_cumulative", primaryScale);
        var canary = Counts(example, cdfMargin > 0 ? "canary_similar_cumulative" : "canary_slow_cumulative", canaryScale);

        var (gap, epsB, epsC, reject, accept, p) = SequentialLatencyJudge.CdfLook(canary, primary, 0.05, cdfMargin);
        Close(expected.Number("Dplus"), gap, what: "D+");
        Close(expected.Number("eps_b"), epsB, what: "eps_b");
        Close(expected.Number("eps_c"), epsC, what: "eps_c");
        Assert.Equal(expected.GetProperty("reject_one_sided").GetBoolean(), reject);
        Assert.Equal(expected.GetProperty("accept_no_regression_beyond_delta").GetBoolean(), accept);
        Close(expected.Number("p_one_sided"), p, 1e-6, "p");
    }

    [Fact]
    public void A_slow_canary_is_inconclusive_with_400_requests_and_fails_with_2000()
    {
        var example = Section("histogram_example");
        var edges = example.Numbers("le_ms");
        var primary = Counts(example, "baseline_cumulative", 1);

        var early = SequentialLatencyJudge.Judge(edges, Counts(example, "canary_slow_cumulative", 1), primary, At95);
        Assert.Equal(Verdict.Inconclusive, early.Outcome);
        Assert.Equal((400, 4000), (early.CanaryCount, early.PrimaryCount));

        var later = SequentialLatencyJudge.Judge(edges, Counts(example, "canary_slow_cumulative", 5), primary, At95);
        Assert.Equal(Verdict.Fail, later.Outcome);
        Assert.Equal(0.15, later.Estimate, 9);
        Assert.StartsWith("canary latency distribution is slower than the primary's beyond the margin: CDF gap 0.15", later.Reason, StringComparison.Ordinal);

        // The same data do not fail for a canary allowed to be one bucket (150%) slower.
        var allowed = SequentialLatencyJudge.Judge(edges, Counts(example, "canary_slow_cumulative", 5), primary, At95 with { Margin = 150, MarginIsPercent = true });
        Assert.NotEqual(Verdict.Fail, allowed.Outcome);
    }

    [Fact]
    public void A_similar_canary_passes_within_a_one_bucket_margin_once_the_bands_are_narrow()
    {
        var example = Section("histogram_example");
        var edges = example.Numbers("le_ms");
        var primary = Counts(example, "baseline_cumulative", 5);
        var canary = Counts(example, "canary_similar_cumulative", 10);

        Assert.Equal(Verdict.Inconclusive, SequentialLatencyJudge.Judge(edges, canary, primary, At95).Outcome);
        var verdict = SequentialLatencyJudge.Judge(edges, canary, primary, At95 with { Margin = 150, MarginIsPercent = true });
        Assert.Equal(Verdict.Pass, verdict.Outcome);
        Assert.Contains("within the margin of the primary's up to its p", verdict.Reason, StringComparison.Ordinal);
    }

    private static long[] Counts(System.Text.Json.JsonElement example, string name, int scale) =>
        example.Numbers(name).Select(c => (long)c * scale).ToArray();
}
