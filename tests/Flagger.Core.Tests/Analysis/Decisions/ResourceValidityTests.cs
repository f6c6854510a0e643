using Flagger.Model;
using Flagger.Model.Validation;
using Flagger.Store;

namespace Flagger.Analysis.Decisions;

public sealed class ResourceValidityTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 29, 4, 0, 0, TimeSpan.Zero);

    private static readonly MetricTemplate Good = new()
    {
        Metadata = new ObjectMetadata { Name = "errors", Namespace = "test", Generation = 3 },
        Spec = new MetricTemplateSpec { Provider = new MetricTemplateProvider { Type = "prometheus", Address = "http://prom:9090" }, Query = "up" },
    };

    private static MetricTemplate WithType(string type) => Good with { Spec = Good.Spec with { Provider = Good.Spec.Provider with { Type = type } } };

    [Fact]
    public void A_bad_template_gets_a_false_Valid_condition_and_a_warning_naming_the_field()
    {
        var report = ResourceValidity.Review(ReferencedResource.From(WithType("promethues")), new ValidationOptions { KnownMetricsProviders = ["prometheus"] }, T0);

        var condition = Assert.Single(report!.Status.Conditions!);
        Assert.Equal(("Valid", "False", "InvalidSpec"), (condition.Type, condition.Status, condition.Reason));
        Assert.Equal("invalid MetricTemplate spec: spec.provider.type: unknown provider 'promethues'; known providers are prometheus", condition.Message);
        Assert.Equal(condition.Message, report.Warning);
        Assert.Equal(3, report.Status.ObservedGeneration);
    }

    [Fact]
    public void A_good_template_without_a_condition_needs_nothing() =>
        Assert.Null(ResourceValidity.Review(ReferencedResource.From(Good), ValidationOptions.Default, T0));

    [Fact]
    public void A_condition_that_already_says_so_is_not_written_again()
    {
        var first = ResourceValidity.Review(ReferencedResource.From(WithType("")), ValidationOptions.Default, T0)!;
        var stored = WithType("") with { Status = first.Status };

        Assert.Null(ResourceValidity.Review(ReferencedResource.From(stored), ValidationOptions.Default, T0.AddMinutes(5)));
    }

    [Fact]
    public void A_fixed_template_has_its_condition_removed_and_others_kept_with_no_warning()
    {
        var other = new CanaryCondition { Type = "Reviewed", Status = "True" };
        var flagged = ResourceValidity.Review(ReferencedResource.From(WithType("")), ValidationOptions.Default, T0)!;
        var fixedTemplate = Good with { Status = new ResourceStatus { Conditions = [other, .. flagged.Status.Conditions!] } };

        var report = ResourceValidity.Review(ReferencedResource.From(fixedTemplate), ValidationOptions.Default, T0);

        Assert.Equal([other], report!.Status.Conditions);
        Assert.Null(report.Warning);
    }

    [Fact]
    public void A_changed_problem_keeps_the_transition_time()
    {
        var first = ResourceValidity.Review(ReferencedResource.From(WithType("")), ValidationOptions.Default, T0)!;
        var worse = Good with { Spec = Good.Spec with { Query = null }, Status = first.Status };

        var report = ResourceValidity.Review(ReferencedResource.From(worse), ValidationOptions.Default, T0.AddMinutes(1));

        var condition = Assert.Single(report!.Status.Conditions!);
        Assert.Equal((T0, T0.AddMinutes(1)), (condition.LastTransitionTime, condition.LastUpdateTime));
        Assert.Contains("spec.query", condition.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unreadable_provider_is_reported_with_the_field_and_reason_Unreadable()
    {
        var provider = FlaggerJson.ReadAlertProvider("""{"metadata":{"name":"on-call","namespace":"test"},"spec":{"type":["slack"]}}""");

        var report = ResourceValidity.Review(ReferencedResource.From(provider), ValidationOptions.Default, T0);

        var condition = Assert.Single(report!.Status.Conditions!);
        Assert.Equal("Unreadable", condition.Reason);
        Assert.StartsWith("invalid AlertProvider: spec.type: cannot be read", condition.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_bad_provider_address_is_reported_without_its_value()
    {
        var provider = new AlertProvider
        {
            Metadata = new ObjectMetadata { Name = "on-call", Namespace = "test" },
            Spec = new AlertProviderSpec { Type = "slack", Address = "hooks.slack.com/services/T0/B0/s3cret", Proxy = "socks://user:pw@proxy" },
        };

        var report = ResourceValidity.Review(ReferencedResource.From(provider), ValidationOptions.Default, T0);

        Assert.Contains("spec.address", report!.Warning, StringComparison.Ordinal);
        Assert.Contains("spec.proxy", report.Warning, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret", report.Warning, StringComparison.Ordinal);
        Assert.DoesNotContain("pw", report.Warning, StringComparison.Ordinal);
    }

    [Fact]
    public void A_huge_value_gives_a_bounded_message()
    {
        var report = ResourceValidity.Review(ReferencedResource.From(WithType(new string('x', 200_000))), new ValidationOptions { KnownMetricsProviders = ["prometheus"] }, T0);

        Assert.True(report!.Warning!.Length <= 1024, $"{report.Warning.Length} characters");
        Assert.Contains("spec.provider.type", report.Warning, StringComparison.Ordinal);
        Assert.Contains("(200000 characters)", report.Warning, StringComparison.Ordinal);
    }
}
