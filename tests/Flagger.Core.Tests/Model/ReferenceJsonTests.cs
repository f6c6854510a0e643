using Flagger.Model;

namespace Flagger.Tests.Model;

public sealed class ReferenceJsonTests
{
    [Fact]
    public void ReadMetricTemplate_keeps_an_unreadable_template_with_its_metadata_and_names_the_field()
    {
        var template = FlaggerJson.ReadMetricTemplate("""{"metadata":{"name":"errors","namespace":"test","generation":2},"spec":{"provider":{"type":"prometheus","headers":{"Authorization":"Bearer s3cret"}},"query":"up"}}""");

        Assert.Equal(("errors", "test", 2L), (template.Metadata.Name, template.Metadata.Namespace, template.Metadata.Generation));
        Assert.StartsWith("spec.provider.headers.Authorization: cannot be read as this field's type", template.ReadError, StringComparison.Ordinal);
        Assert.Contains("MetricTemplate reference", template.ReadError, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret", template.ReadError, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadAlertProvider_keeps_an_unreadable_provider_without_repeating_its_value()
    {
        var provider = FlaggerJson.ReadAlertProvider("""{"metadata":{"name":"on-call","namespace":"test"},"spec":{"type":"slack","address":{"url":"https://hooks.example/T0/B0/s3cret"}}}""");

        Assert.Equal("on-call", provider.Metadata.Name);
        Assert.StartsWith("spec.address: cannot be read as this field's type; see the AlertProvider reference", provider.ReadError, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret", provider.ReadError, StringComparison.Ordinal);
    }

    [Fact]
    public void Unreadable_objects_keep_the_status_the_operator_wrote()
    {
        const string Status = ""","status":{"conditions":[{"type":"Valid","status":"False","reason":"Unreadable","message":"m"}]}}""";
        var template = FlaggerJson.ReadMetricTemplate("""{"metadata":{"name":"t"},"spec":{"query":7}""" + Status);
        var provider = FlaggerJson.ReadAlertProvider("""{"metadata":{"name":"p"},"spec":{"type":7}""" + Status);
        var canary = FlaggerJson.ReadCanary("""{"metadata":{"name":"c"},"spec":{"analysis":{"maxWeight":9223372036854775807}},"status":{"phase":"Initializing","conditions":[{"type":"Valid","status":"False","message":"m"}]}}""");

        Assert.Equal("Unreadable", Assert.Single(template.Status!.Conditions!).Reason);
        Assert.Equal("Unreadable", Assert.Single(provider.Status!.Conditions!).Reason);
        Assert.NotNull(canary.ReadError);
        Assert.Equal(CanaryPhase.Initializing, canary.Status!.Phase);
    }

    [Fact]
    public void Readable_objects_have_no_read_error_and_keep_their_status()
    {
        var template = FlaggerJson.ReadMetricTemplate("""{"metadata":{"name":"t"},"spec":{"provider":{"type":"prometheus"},"query":"up"},"status":{"conditions":[{"type":"Valid","status":"False","message":"m"}]}}""");
        var provider = FlaggerJson.ReadAlertProvider("""{"metadata":{"name":"p"},"spec":{"type":"slack","address":"https://hooks.example/x"}}""");

        Assert.Null(template.ReadError);
        Assert.Null(provider.ReadError);
        Assert.Equal("m", Assert.Single(template.Status!.Conditions!).Message);
    }

    [Fact]
    public void A_status_serialises_as_the_subresource_takes_it()
    {
        var json = FlaggerJson.Serialize(new ResourceStatus { ObservedGeneration = 4, Conditions = [] });

        Assert.Equal("""{"observedGeneration":4,"conditions":[]}""", json);
    }
}
