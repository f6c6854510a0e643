using Flagger.Model;
using Flagger.Notifications;

namespace Flagger.Analysis.Decisions;

public sealed class MetricVerdictsTests
{
    private static readonly Canary Podinfo = new() { Metadata = new ObjectMetadata { Name = "podinfo", Namespace = "test" } };

    [Theory]
    [InlineData(99.0, null, null, 98.69, "Halt podinfo.test advancement success rate 98.69% < 99%")]
    [InlineData(99.0, null, null, 99.5, null)]
    [InlineData(null, 95.0, null, 94.0, "Halt podinfo.test advancement success rate 94.00% < 95%")]
    [InlineData(null, null, 99.9, 100.0, "Halt podinfo.test advancement success rate 100.00% > 99.9%")]
    public void Success_rate_is_a_minimum(double? threshold, double? min, double? max, double value, string? expected)
    {
        var metric = new CanaryMetric { Name = "request-success-rate", Threshold = threshold, ThresholdRange = min is null && max is null ? null : new ThresholdRange { Min = min, Max = max } };
        Assert.Equal(expected, MetricVerdicts.CheckSuccessRate(Podinfo, metric, value));
    }

    [Theory]
    [InlineData(500.0, 1515.0, "Halt podinfo.test advancement request duration 1.515s > 500ms")]
    [InlineData(500.0, 450.0, null)]
    [InlineData(1000.0, 61000.0, "Halt podinfo.test advancement request duration 1m1s > 1s")]
    public void Request_duration_is_a_maximum_in_milliseconds(double threshold, double value, string? expected) =>
        Assert.Equal(expected, MetricVerdicts.CheckRequestDuration(Podinfo, new CanaryMetric { Name = "request-duration", Threshold = threshold }, value));

    [Theory]
    [InlineData(5.0, null, null, 7.5, "Halt podinfo.test advancement error-rate 7.50 > 5")]
    [InlineData(null, 1.0, 5.0, 0.5, "Halt podinfo.test advancement error-rate 0.50 < 1")]
    [InlineData(null, 1.0, 5.0, 3.0, null)]
    public void Custom_metric_threshold_is_a_maximum_and_range_bounds_both_ways(double? threshold, double? min, double? max, double value, string? expected)
    {
        var metric = new CanaryMetric { Name = "error-rate", Threshold = threshold, ThresholdRange = min is null && max is null ? null : new ThresholdRange { Min = min, Max = max } };
        Assert.Equal(expected, MetricVerdicts.CheckCustom(Podinfo, metric, value));
    }

    [Theory]
    [InlineData(double.PositiveInfinity, "Halt podinfo.test advancement request duration is +Inf, not a finite number")]
    [InlineData(double.NegativeInfinity, "Halt podinfo.test advancement request duration is -Inf, not a finite number")]
    [InlineData(double.NaN, "Halt podinfo.test advancement request duration is NaN, not a finite number")]
    public void Request_duration_that_is_not_finite_is_a_failed_check(double value, string expected) =>
        Assert.Equal(expected, MetricVerdicts.CheckRequestDuration(Podinfo, new CanaryMetric { Name = "request-duration", Threshold = 500 }, value));

    [Theory]
    [InlineData(double.PositiveInfinity, "Halt podinfo.test advancement success rate is +Inf, not a finite number")]
    [InlineData(double.NaN, "Halt podinfo.test advancement success rate is NaN, not a finite number")]
    public void Success_rate_that_is_not_finite_is_a_failed_check(double value, string expected) =>
        Assert.Equal(expected, MetricVerdicts.CheckSuccessRate(Podinfo, new CanaryMetric { Name = "request-success-rate", Threshold = 99 }, value));

    [Theory]
    [InlineData(double.NegativeInfinity)]
    [InlineData(double.NaN)]
    public void Custom_metric_that_is_not_finite_is_a_failed_check_even_inside_an_open_range(double value) =>
        Assert.Equal(
            $"Halt podinfo.test advancement error-rate is {(double.IsNaN(value) ? "NaN" : "-Inf")}, not a finite number",
            MetricVerdicts.CheckCustom(Podinfo, new CanaryMetric { Name = "error-rate", ThresholdRange = new ThresholdRange { Max = 5 } }, value));

    [Fact]
    public void Request_duration_threshold_beyond_a_TimeSpan_is_shown_without_overflowing() =>
        Assert.Equal(
            "Halt podinfo.test advancement request duration 1.5s < 1E+300ms",
            MetricVerdicts.CheckRequestDuration(Podinfo, new CanaryMetric { Name = "request-duration", ThresholdRange = new ThresholdRange { Min = 1e300 } }, 1500));

    // Flagger 1.44 compares a template or inline metric without threshold or thresholdRange against its threshold
    // field's default, 0: any positive value halts. The builtins compare only a threshold that is set.
    [Theory]
    [InlineData(0.0, null)]
    [InlineData(1.0, "Halt podinfo.test advancement errors 1.00 > 0")]
    [InlineData(0.001, "Halt podinfo.test advancement errors 0.00 > 0")]
    public void Template_metric_without_threshold_fails_closed(double value, string? expected) =>
        Assert.Equal(expected, MetricVerdicts.CheckCustom(Podinfo, new CanaryMetric { Name = "errors", TemplateRef = new ObjectReference { Name = "error-count" } }, value));

    [Theory]
    [InlineData(0.0, null)]
    [InlineData(3.0, "Halt podinfo.test advancement errors 3.00 > 0")]
    public void Inline_metric_without_threshold_fails_closed(double value, string? expected) =>
        Assert.Equal(expected, MetricVerdicts.CheckCustom(Podinfo, new CanaryMetric { Name = "errors", Query = "sum(errors)" }, value));

    [Theory]
    [InlineData(0.0)]
    [InlineData(100.0)]
    public void Builtin_success_rate_without_threshold_passes_any_rate_as_in_Flagger(double value) =>
        Assert.Null(MetricVerdicts.CheckSuccessRate(Podinfo, new CanaryMetric { Name = "request-success-rate" }, value));

    [Theory]
    [InlineData(null)]
    [InlineData(0.0)]
    public void Builtin_request_duration_without_a_positive_threshold_passes_any_duration_as_in_Flagger(double? threshold) =>
        Assert.Null(MetricVerdicts.CheckRequestDuration(Podinfo, new CanaryMetric { Name = "request-duration", Threshold = threshold }, 60_000));

    [Theory]
    [InlineData("info", AlertSeverity.Info, true)]
    [InlineData("warn", AlertSeverity.Info, false)]
    [InlineData("warn", AlertSeverity.Warn, true)]
    [InlineData("warn", AlertSeverity.Error, true)]
    [InlineData("error", AlertSeverity.Warn, false)]
    [InlineData("error", AlertSeverity.Error, true)]
    [InlineData("", AlertSeverity.Info, true)]
    public void Alert_severity_admits_its_level_and_above(string configured, AlertSeverity severity, bool expected) =>
        Assert.Equal(expected, AlertRouting.Receives(configured, severity));
}
