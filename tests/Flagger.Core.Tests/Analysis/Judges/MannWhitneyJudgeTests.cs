using Flagger.Analysis.Judges;
using static Flagger.Tests.Analysis.Judges.ReferenceValues;

namespace Flagger.Tests.Analysis.Judges;

public sealed class MannWhitneyJudgeTests
{
    private static readonly ComparisonSettings KayentaEither = new(ComparisonDirection.Either, 0, false, MannWhitneyJudge.DefaultConfidence);

    [Theory]
    [MemberData(nameof(WilcoxonIds), MemberType = typeof(ReferenceValues))]
    public void Statistic_interval_and_estimates_match_R_wilcox_test(string id)
    {
        var row = Wilcoxon(id);
        var approx = row.GetProperty("approx");
        var result = MannWhitneyResult.Compute(row.Numbers("x"), row.Numbers("y"), row.Number("conf_level"));
        if (approx.GetProperty("error").ValueKind != System.Text.Json.JsonValueKind.Null)
        {
            // R cannot form the interval when every observation is tied; neither can the test.
            Assert.True(double.IsNaN(result.Lower) && double.IsNaN(result.Upper), $"{id}: expected no interval");
            return;
        }

        Close(approx.Number("W"), result.W, what: $"{id} W");
        Close(approx.Number("p_value"), result.PValue, what: $"{id} p");

        // The judge runs R's own zeroin iteration, so even roots on a flat stretch of the statistic agree.
        Within(approx.Number("estimate"), result.Estimate, 1e-9, $"{id} estimate");
        Within(approx.Number("ci_low"), result.Lower, 1e-9, $"{id} lower");
        Within(approx.Number("ci_high"), result.Upper, 1e-9, $"{id} upper");
        Within(row.Number("kayenta_estimate_with_cc"), result.CorrectedEstimate, 1e-9, $"{id} corrected estimate");
    }

    [Theory]
    [MemberData(nameof(WilcoxonIds), MemberType = typeof(ReferenceValues))]
    public void Classifies_as_Kayenta_does(string id)
    {
        var row = Wilcoxon(id);
        var expected = row.GetProperty("kayenta_classification_either").GetString();
        var verdict = MannWhitneyJudge.Judge(row.Numbers("x"), row.Numbers("y"), KayentaEither with { Confidence = row.Number("conf_level") });
        switch (expected)
        {
            case "Pass":
                Assert.Equal(Verdict.Pass, verdict.Outcome);
                break;
            case "High":
                Assert.Equal(Verdict.Fail, verdict.Outcome);
                Assert.True(verdict.Lower > 0, verdict.Reason);
                break;
            case "Low":
                Assert.Equal(Verdict.Fail, verdict.Outcome);
                Assert.True(verdict.Upper < 0, verdict.Reason);
                break;
            default:
                // D11: each side constant with different values; Kayenta adds noise and sees the canary lower.
                Assert.Equal(Verdict.Fail, verdict.Outcome);
                Assert.Equal(-1, verdict.Estimate);
                break;
        }

        Assert.Equal(row.Numbers("x").Length, verdict.CanaryCount);
        Assert.Equal(row.Numbers("y").Length, verdict.PrimaryCount);
    }

    [Fact]
    public void The_tolerance_band_lets_a_large_but_uncertain_shift_pass()
    {
        // D07: canary median about 20% higher, p = 0.026, yet the 98% interval reaches below zero: Kayenta passes it.
        var row = Wilcoxon("D07_lognormal_60v60");
        var verdict = MannWhitneyJudge.Judge(row.Numbers("x"), row.Numbers("y"), KayentaEither with { Direction = ComparisonDirection.Increase });
        Assert.Equal(Verdict.Pass, verdict.Outcome);
        Assert.Contains("no difference beyond the tolerance", verdict.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Only_the_worse_direction_fails()
    {
        var faster = Wilcoxon("D09_canary_faster_12v9");
        Assert.Equal(Verdict.Pass, MannWhitneyJudge.Judge(faster.Numbers("x"), faster.Numbers("y"), KayentaEither with { Direction = ComparisonDirection.Increase }).Outcome);
        Assert.Equal(Verdict.Fail, MannWhitneyJudge.Judge(faster.Numbers("x"), faster.Numbers("y"), KayentaEither with { Direction = ComparisonDirection.Decrease }).Outcome);
    }

    [Fact]
    public void A_margin_wider_than_the_shift_passes()
    {
        var shifted = Wilcoxon("D03_clear_shift_10v14");
        Assert.Equal(Verdict.Fail, MannWhitneyJudge.Judge(shifted.Numbers("x"), shifted.Numbers("y"), KayentaEither).Outcome);
        Assert.Equal(Verdict.Pass, MannWhitneyJudge.Judge(shifted.Numbers("x"), shifted.Numbers("y"), KayentaEither with { Margin = 40 }).Outcome);
        Assert.Equal(Verdict.Pass, MannWhitneyJudge.Judge(shifted.Numbers("x"), shifted.Numbers("y"), KayentaEither with { Margin = 40, MarginIsPercent = true }).Outcome);
    }

    [Fact]
    public void A_side_without_values_is_inconclusive_and_NaN_values_are_dropped()
    {
        var verdict = MannWhitneyJudge.Judge([double.NaN, double.NaN], [1, 2, 3], KayentaEither);
        Assert.Equal(Verdict.Inconclusive, verdict.Outcome);
        Assert.Equal("no canary values in this interval", verdict.Reason);
        Assert.Equal(0, verdict.CanaryCount);

        var row = Wilcoxon("D03_clear_shift_10v14");
        var withGaps = MannWhitneyJudge.Judge([.. row.Numbers("x"), double.NaN], [double.NaN, .. row.Numbers("y")], KayentaEither);
        Assert.Equal(MannWhitneyJudge.Judge(row.Numbers("x"), row.Numbers("y"), KayentaEither), withGaps);
    }
}
