using Flagger.Analysis.Judges;
using Flagger.Model;
using static Flagger.Tests.Model.Validation.ValidationAssert;

namespace Flagger.Tests.Model.Validation;

/// <summary>The <c>comparison</c> block of a metric and the analysis' <c>maxInconclusive</c>.</summary>
public sealed class ComparisonValidationTests
{
    private const string Sequential = "spec.analysis.metrics[0].comparison={\"method\":\"sequential\",\"margin\":0.5,\"confidence\":0.99}";

    [Theory]
    [InlineData("spec.analysis.metrics[0].comparison={}", "spec.analysis.metrics[0].comparison.method", "required; sequential or mann-whitney")]
    [InlineData("spec.analysis.metrics[0].comparison={\"method\":\"kayenta\"}", "spec.analysis.metrics[0].comparison.method", "must be sequential or mann-whitney, got 'kayenta'")]
    [InlineData("spec.analysis.metrics[0].comparison={\"method\":\"sequential\",\"direction\":\"down\"}", "spec.analysis.metrics[0].comparison.direction", "must be increase, decrease or either, got 'down'")]
    [InlineData("spec.analysis.metrics[0].comparison={\"method\":\"sequential\",\"margin\":\"five\"}", "spec.analysis.metrics[0].comparison.margin", "must be a number in the metric's unit, such as 0.5, or a percentage of the primary's value, such as 5%, got 'five'")]
    [InlineData("spec.analysis.metrics[0].comparison={\"method\":\"sequential\",\"margin\":-0.5}", "spec.analysis.metrics[0].comparison.margin", "must be 0 or more, got '-0.5'")]
    [InlineData("spec.analysis.metrics[0].comparison={\"method\":\"sequential\",\"margin\":\"-5%\"}", "spec.analysis.metrics[0].comparison.margin", "must be 0 or more, got '-5%'")]
    [InlineData("spec.analysis.metrics[0].comparison={\"method\":\"sequential\",\"confidence\":99}", "spec.analysis.metrics[0].comparison.confidence", "must be at least 0.5 and below 1, such as 0.99, got 99; for 99% write 0.99")]
    [InlineData("spec.analysis.metrics[0].comparison={\"method\":\"sequential\",\"confidence\":1}", "spec.analysis.metrics[0].comparison.confidence", "must be at least 0.5 and below 1, such as 0.99, got 1")]
    [InlineData("spec.analysis.metrics[0].comparison={\"method\":\"mann-whitney\",\"confidence\":0.2}", "spec.analysis.metrics[0].comparison.confidence", "must be at least 0.5 and below 1, such as 0.99, got 0.2")]
    [InlineData("spec.analysis.maxInconclusive=0 & " + Sequential, "spec.analysis.maxInconclusive", "must be 1 or more, got 0")]
    [InlineData("spec.analysis.maxInconclusive=5", "spec.analysis.maxInconclusive", "has no effect: no metric has a comparison block")]
    public void Reports_bad_comparisons(string edit, string path, string message) =>
        HasProblem(ValidateEdited(edit), path, message);

    [Theory]
    [InlineData(Sequential)]
    [InlineData(Sequential + " & spec.analysis.maxInconclusive=10")]
    [InlineData("spec.analysis.metrics[0].comparison={\"method\":\"mann-whitney\"}")]
    [InlineData("spec.analysis.metrics[1].comparison={\"method\":\"sequential\",\"direction\":\"either\",\"margin\":\"5%\",\"confidence\":0.95}")]
    [InlineData("spec.analysis.metrics[1].comparison={\"method\":\"mann-whitney\",\"margin\":\"2.5\"}")]
    public void Accepts_valid_comparisons(string edit) =>
        Assert.Empty(ValidateEdited(edit));

    [Fact]
    public void A_canary_without_comparison_reads_and_writes_as_before()
    {
        var canary = FlaggerJson.DeserializeCanary(WalkthroughCanary.V1Beta1Json);
        Assert.All(canary.Spec!.Analysis!.Metrics!, m => Assert.Null(m.Comparison));
        Assert.Null(canary.Spec.Analysis.MaxInconclusive);
        Assert.DoesNotContain("comparison", FlaggerJson.Serialize(canary), StringComparison.Ordinal);
        Assert.DoesNotContain("maxInconclusive", FlaggerJson.Serialize(canary), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0.5", 0.5, false, "0.5")]
    [InlineData("\"0.5\"", 0.5, false, "\"0.5\"")]
    [InlineData("\"5%\"", 5, true, "\"5%\"")]
    [InlineData("\" 2.5 %\"", 2.5, true, "\" 2.5 %\"")]
    public void Margins_read_as_numbers_or_percentages_and_write_back_as_written(string json, double value, bool percent, string written)
    {
        var canary = FlaggerJson.DeserializeCanary(JsonEdit.Apply(WalkthroughCanary.V1Beta1Json, $"spec.analysis.metrics[1].comparison={{\"method\":\"sequential\",\"margin\":{json}}}"));
        var margin = canary.Spec!.Analysis!.Metrics![1].Comparison!.Margin!;
        Assert.Equal((value, percent, true), (margin.Value, margin.IsPercent, margin.IsValid));
        Assert.Contains($"\"margin\":{written}", FlaggerJson.Serialize(canary), StringComparison.Ordinal);
    }

    [Fact]
    public void Settings_default_the_direction_by_metric_and_the_confidence_by_method()
    {
        var canary = FlaggerJson.DeserializeCanary(JsonEdit.Apply(WalkthroughCanary.V1Beta1Json,
            "spec.analysis.metrics[0].comparison={\"method\":\"sequential\",\"margin\":0.5} & spec.analysis.metrics[1].comparison={\"method\":\"mann-whitney\",\"margin\":\"10%\"}"));
        var metrics = canary.Spec!.Analysis!.Metrics!;
        Assert.Equal(new ComparisonSettings(ComparisonDirection.Decrease, 0.5, false, 0.99), ComparisonSpec.Settings(metrics[0]));
        Assert.Equal(new ComparisonSettings(ComparisonDirection.Increase, 10, true, 0.98), ComparisonSpec.Settings(metrics[1]));

        // The count judge sees failures: a falling success rate is a rising failure rate.
        Assert.Equal(ComparisonDirection.Increase, ComparisonSpec.FailureCountSettings(metrics[0]).Direction);
        Assert.Equal(ComparisonDirection.Increase, ComparisonSpec.FailureCountSettings(metrics[1]).Direction);
    }
}
