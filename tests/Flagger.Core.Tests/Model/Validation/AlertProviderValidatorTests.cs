using Flagger.Model;
using Flagger.Model.Validation;
using static Flagger.Tests.Model.Validation.ValidationAssert;

namespace Flagger.Tests.Model.Validation;

public sealed class AlertProviderValidatorTests
{
    private const string OnCall = """
        {
          "apiVersion": "flagger.app/v1beta1",
          "kind": "AlertProvider",
          "metadata": { "name": "on-call", "namespace": "flagger" },
          "spec": { "type": "slack", "channel": "on-call-alerts", "username": "flagger", "secretRef": { "name": "on-call-url" } }
        }
        """;

    [Theory]
    [InlineData("")]
    [InlineData("spec.type=\"msteams\" & spec.secretRef- & spec.address=\"https://outlook.office.com/webhook/x\"")]
    [InlineData("spec.type=\"discord\"")]
    [InlineData("spec.type=\"rocket\"")]
    [InlineData("spec.type=\"gchat\" & spec.proxy=\"http://proxy:3128\"")]
    [InlineData("spec.address=\"https://hooks.slack.com/services/x\"")]
    public void Accepts_every_documented_provider(string edits) =>
        Assert.Empty(Validate(edits));

    [Theory]
    [InlineData("spec=null", "spec", "required")]
    [InlineData("spec.type-", "spec.type", "required; one of slack, msteams, discord, rocket, gchat")]
    [InlineData("spec.type=\"teams\"", "spec.type", "unknown type 'teams'; known types are slack, msteams, discord, rocket, gchat")]
    [InlineData("spec.type=\"Slack\"", "spec.type", "unknown type 'Slack'")]
    [InlineData("spec.secretRef-", "spec.address", "required unless spec.secretRef names a Secret with an address key")]
    [InlineData("spec.secretRef={}", "spec.secretRef.name", "required")]
    [InlineData("spec.address=\"hooks.slack.com/services/T0/B0/secret-token\"", "spec.address", "must be an absolute http or https URL such as https://hooks.slack.com/services/...; the value given is not shown because it may hold a token")]
    [InlineData("spec.proxy=\"proxy:3128\"", "spec.proxy", "must be an absolute http or https URL")]
    public void Reports_bad_fields(string edit, string path, string message) =>
        HasProblem(Validate(edit), path, message);

    [Fact]
    public void A_malformed_address_or_proxy_is_never_repeated_in_the_message() =>
        Assert.All(
            Validate("spec.address=\"hooks.slack.com/services/T0/B0/secret-token\" & spec.proxy=\"user:hunter2@proxy\""),
            p => Assert.DoesNotMatch("secret-token|hunter2", p.ToString()));

    [Fact]
    public void Every_problem_is_returned_together() =>
        Assert.Equal(["spec.type", "spec.address"], Validate("spec.type=\"pager\" & spec.secretRef-").Select(p => p.Path));

    [Fact]
    public void A_host_with_a_custom_notifier_accepts_its_type_and_names_it_when_rejecting_others()
    {
        var options = new ValidationOptions { KnownNotifierTypes = ["slack", "team-chat"] };
        var custom = FlaggerJson.DeserializeAlertProvider(JsonEdit.Apply(OnCall, "spec.type=\"team-chat\""));
        var unknown = FlaggerJson.DeserializeAlertProvider(JsonEdit.Apply(OnCall, "spec.type=\"discord\""));

        Assert.Empty(AlertProviderValidator.Validate(custom, options));
        HasProblem(AlertProviderValidator.Validate(unknown, options), "spec.type", "unknown type 'discord'; known types are slack, team-chat");
    }

    private static IReadOnlyList<ValidationProblem> Validate(string edits) =>
        AlertProviderValidator.Validate(FlaggerJson.DeserializeAlertProvider(JsonEdit.Apply(OnCall, edits)));
}
