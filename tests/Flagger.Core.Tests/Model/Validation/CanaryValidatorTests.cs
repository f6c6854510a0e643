using Flagger.Model;
using Flagger.Model.Validation;
using static Flagger.Tests.Model.Validation.ValidationAssert;

namespace Flagger.Tests.Model.Validation;

public sealed class CanaryValidatorTests
{
    [Fact]
    public void The_walkthrough_canary_has_no_problems()
    {
        Assert.Empty(CanaryValidator.Validate(FlaggerJson.DeserializeCanary(WalkthroughCanary.Json)));
        Assert.Empty(CanaryValidator.Validate(FlaggerJson.DeserializeCanary(WalkthroughCanary.V1Beta1Json)));
    }

    [Fact]
    public void Every_problem_is_returned_together()
    {
        var problems = ValidateEdited(
            "spec.targetRef.name- & spec.service.port=0 & spec.analysis.interval=\"1h\" & spec.analysis.stepWeight=-5 & " +
            "spec.analysis.metrics[0].interval=\"1x\" & spec.analysis.webhooks[0].url=\"loadtester\" & " +
            "spec.analysis.alerts=[{\"name\":\"on-call\",\"severity\":\"loud\",\"providerRef\":{\"name\":\"slack\"}}]");

        Assert.Equal(
            [
                "spec.targetRef.name",
                "spec.service.port",
                "spec.analysis.interval",
                "spec.analysis.stepWeight",
                "spec.analysis.metrics[0].interval",
                "spec.analysis.webhooks[0].url",
                "spec.analysis.alerts[0].severity",
            ],
            problems.Select(p => p.Path));
    }

    [Fact]
    public void A_problem_reads_as_path_colon_message()
    {
        var problem = Assert.Single(ValidateEdited("spec.analysis.stepWeight=101"));

        Assert.Equal("spec.analysis.stepWeight: must be 1..100, got 101", problem.ToString());
    }

    [Theory]
    [InlineData("spec.canaryAnalysis.stepWeight=-5", "spec.canaryAnalysis.stepWeight", "must be 1..100, got -5")]
    [InlineData("spec.canaryAnalysis.stepWeight-", "spec.canaryAnalysis", "can never advance")]
    [InlineData("spec.canaryAnalysis.metrics[0].name-", "spec.canaryAnalysis.metrics[0].name", "required")]
    [InlineData("spec.canaryAnalysis.webhooks[0].type=\"gate\"", "spec.canaryAnalysis.webhooks[0].type", "unknown type 'gate'")]
    public void Paths_name_the_legacy_canaryAnalysis_when_the_manifest_uses_it(string edit, string path, string message) =>
        HasProblem(ValidateEdited(edit, baseJson: WalkthroughCanary.Json), path, message);

    [Fact]
    public void Only_the_analysis_block_in_use_is_validated()
    {
        var problems = ValidateEdited("spec.canaryAnalysis={\"stepWeight\":-5}");

        Assert.Empty(problems);
    }

    [Fact]
    public void Departure_7_an_unknown_mesh_provider_names_the_known_ones()
    {
        var options = new ValidationOptions { KnownMeshProviders = ["istio", "kubernetes", "smi:v1alpha3"] };

        var problem = Assert.Single(ValidateEdited("spec.provider=\"linkrd\"", options));

        Assert.Equal("spec.provider: unknown provider 'linkrd'; known providers are istio, kubernetes, smi:v1alpha3", problem.ToString());
    }

    [Theory]
    [InlineData("spec.provider=\"istio\"")]
    [InlineData("spec.provider=\"smi:v1alpha3:linkerd\"")]
    [InlineData("spec.provider-")]
    [InlineData("spec.provider=\"\"")]
    public void Known_and_mesh_qualified_providers_are_accepted(string edit) =>
        Assert.Empty(ValidateEdited(edit, new ValidationOptions { KnownMeshProviders = ["istio", "smi:v1alpha3"], MeshProvider = "istio" }));

    [Fact]
    public void A_canary_without_a_provider_is_told_to_name_one_when_the_operator_has_no_default() =>
        Assert.Equal(
            "spec.provider: required: the operator has no default mesh provider (--mesh-provider); set one of istio, kubernetes",
            Assert.Single(ValidateEdited("spec.provider-", new ValidationOptions { KnownMeshProviders = ["istio", "kubernetes"] })).ToString());

    [Fact]
    public void Any_provider_is_accepted_when_the_host_names_none() =>
        Assert.Empty(ValidateEdited("spec.provider=\"anything\""));

    [Fact]
    public void A_host_can_support_more_target_kinds() =>
        Assert.Empty(ValidateEdited("spec.targetRef.kind=\"Service\"", new ValidationOptions { TargetKinds = ["Deployment", "DaemonSet", "Service"] }));

    [Theory]
    [InlineData(
        "spec.analysis.metrics[2]={\"name\":\"errors\",\"templateRef\":{\"name\":\"error-rate\",\"namespace\":\"istio-system\"}}",
        "spec.analysis.metrics[2].templateRef.namespace",
        "can't access metric template istio-system/error-rate, cross-namespace references are blocked")]
    [InlineData(
        "spec.analysis.alerts=[{\"name\":\"on-call\",\"providerRef\":{\"name\":\"slack\",\"namespace\":\"flagger\"}}]",
        "spec.analysis.alerts[0].providerRef.namespace",
        "can't access alert provider flagger/slack, cross-namespace references are blocked")]
    [InlineData(
        "spec.upstreamRef={\"name\":\"podinfo\",\"namespace\":\"gloo-system\"}",
        "spec.upstreamRef.namespace",
        "can't access gloo upstream gloo-system/podinfo, cross-namespace references are blocked")]
    public void Cross_namespace_references_are_blocked_when_the_host_says_so(string edit, string path, string message)
    {
        HasProblem(ValidateEdited(edit, new ValidationOptions { NoCrossNamespaceRefs = true }), path, message);
        Assert.Empty(ValidateEdited(edit));
    }

    [Fact]
    public void Same_namespace_references_pass_when_cross_namespace_ones_are_blocked() =>
        Assert.Empty(ValidateEdited(
            "spec.analysis.metrics[2]={\"name\":\"errors\",\"templateRef\":{\"name\":\"error-rate\",\"namespace\":\"test\"}} & " +
            "spec.analysis.alerts=[{\"name\":\"on-call\",\"providerRef\":{\"name\":\"slack\"}}]",
            new ValidationOptions { NoCrossNamespaceRefs = true }));

    [Fact]
    public void Skip_analysis_needs_no_analysis_block_nor_steps()
    {
        Assert.Empty(ValidateEdited("spec.skipAnalysis=true & spec.analysis-"));
        Assert.Empty(ValidateEdited("spec.skipAnalysis=true & spec.analysis.stepWeight-"));
    }

    [Fact]
    public void A_canary_built_in_code_with_nulls_everywhere_reports_instead_of_throwing()
    {
        var canary = new Canary
        {
            Metadata = null!,
            Spec = new CanarySpec
            {
                Service = new CanaryService { Port = 80, Gateways = [null!], Hosts = null },
                Analysis = new CanaryAnalysis
                {
                    StepWeight = 10,
                    Metrics = [null!, new CanaryMetric()],
                    Webhooks = [null!, new CanaryWebhook()],
                    Alerts = [null!, new CanaryAlert()],
                    SessionAffinity = new SessionAffinity(),
                },
                AutoscalerRef = new AutoscalerReference { PrimaryScalerReplicas = new PrimaryScalerReplicas() },
            },
        };

        var problems = CanaryValidator.Validate(canary, new ValidationOptions { NoCrossNamespaceRefs = true, KnownMeshProviders = [] });

        Assert.Contains(problems, p => p.Path == "spec.targetRef");
        Assert.Contains(problems, p => p.Path == "spec.analysis.webhooks[1].url");
        Assert.Contains(problems, p => p.Path == "spec.analysis.alerts[1].providerRef");
    }
}
