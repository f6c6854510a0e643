using static Flagger.Tests.Model.Validation.ValidationAssert;

namespace Flagger.Tests.Model.Validation;

/// <summary>One row per bad input in the spec's own fields, its service and its autoscaler.</summary>
public sealed class CanarySpecValidationTests
{
    [Theory]
    [InlineData("spec=null", "spec", "required")]
    [InlineData("spec.targetRef-", "spec.targetRef", "required; name the Deployment or DaemonSet to release")]
    [InlineData("spec.targetRef=null", "spec.targetRef", "required")]
    [InlineData("spec.targetRef.name-", "spec.targetRef.name", "required")]
    [InlineData("spec.targetRef.name=\" \"", "spec.targetRef.name", "required")]
    [InlineData("spec.targetRef.kind=\"StatefulSet\"", "spec.targetRef.kind", "unsupported kind 'StatefulSet'; supported kinds are Deployment, DaemonSet")]
    [InlineData("spec.targetRef.kind=\"Service\"", "spec.targetRef.kind", "unsupported kind 'Service'")]
    [InlineData("spec.targetRef.kind=\"deployment\"", "spec.targetRef.kind", "unsupported kind 'deployment'")]
    [InlineData("spec.progressDeadlineSeconds=-1", "spec.progressDeadlineSeconds", "must be 0..86400, got -1")]
    [InlineData("spec.progressDeadlineSeconds=2147483647", "spec.progressDeadlineSeconds", "must be 0..86400, got 2147483647")]
    [InlineData("spec.targetRef.name=\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"", "spec.targetRef.name", "must be at most 55 characters, so that its -primary and -canary names fit Kubernetes' 63-character limit, got 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' (56 characters)")]
    [InlineData("spec.analysis-", "spec.analysis", "required unless spec.skipAnalysis is true")]
    [InlineData("spec.analysis=null", "spec.analysis", "required unless spec.skipAnalysis is true")]
    public void Reports_bad_spec_fields(string edit, string path, string message) =>
        HasProblem(ValidateEdited(edit), path, message);

    [Theory]
    [InlineData("spec.service-", "spec.service", "required; set at least spec.service.port")]
    [InlineData("spec.service.port-", "spec.service.port", "must be 1..65535, got 0")]
    [InlineData("spec.service.port=0", "spec.service.port", "must be 1..65535, got 0")]
    [InlineData("spec.service.port=-80", "spec.service.port", "must be 1..65535, got -80")]
    [InlineData("spec.service.port=65536", "spec.service.port", "must be 1..65535, got 65536")]
    [InlineData("spec.service.targetPort=0", "spec.service.targetPort", "must be 1..65535, got 0")]
    [InlineData("spec.service.gateways[1]=\"\"", "spec.service.gateways[1]", "must not be empty")]
    [InlineData("spec.service.gateways[0]=null", "spec.service.gateways[0]", "must not be empty")]
    [InlineData("spec.service.hosts[0]=\" \"", "spec.service.hosts[0]", "must not be empty")]
    [InlineData("spec.service.delegation=true", "spec.service.hosts", "must be empty when spec.service.delegation is true")]
    [InlineData("spec.service.delegation=true & spec.service.hosts-", "spec.service.gateways", "must be empty when spec.service.delegation is true")]
    [InlineData("spec.service.timeout=\"soon\"", "spec.service.timeout", "must be a duration such as 30s, got 'soon'")]
    [InlineData("spec.service.timeout=\"25h\"", "spec.service.timeout", "must be at most 24h0m0s, got '25h'")]
    [InlineData("spec.service.name=\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"", "spec.service.name", "must be at most 55 characters")]
    [InlineData("spec.service.backendTimeout=\"5\"", "spec.service.backendTimeout", "must be a duration such as 30s, got '5'")]
    [InlineData("spec.service.retries={\"attempts\":-1}", "spec.service.retries.attempts", "must be 0 or more, got -1")]
    [InlineData("spec.service.retries={\"attempts\":3,\"perTryTimeout\":\"2\"}", "spec.service.retries.perTryTimeout", "must be a duration such as 2s")]
    public void Reports_bad_service_fields(string edit, string path, string message) =>
        HasProblem(ValidateEdited(edit), path, message);

    [Theory]
    [InlineData("spec.autoscalerRef.kind=\"VerticalPodAutoscaler\"", "spec.autoscalerRef.kind", "must be HorizontalPodAutoscaler or ScaledObject, got 'VerticalPodAutoscaler'")]
    [InlineData("spec.autoscalerRef.kind-", "spec.autoscalerRef.kind", "required; HorizontalPodAutoscaler or ScaledObject")]
    [InlineData("spec.autoscalerRef.name-", "spec.autoscalerRef.name", "required")]
    [InlineData("spec.autoscalerRef.primaryScalerReplicas={\"minReplicas\":0}", "spec.autoscalerRef.primaryScalerReplicas.minReplicas", "must be at least 1, got 0")]
    [InlineData("spec.autoscalerRef.primaryScalerReplicas={\"maxReplicas\":0}", "spec.autoscalerRef.primaryScalerReplicas.maxReplicas", "must be at least 1, got 0")]
    [InlineData("spec.autoscalerRef.primaryScalerReplicas={\"minReplicas\":5,\"maxReplicas\":2}", "spec.autoscalerRef.primaryScalerReplicas.minReplicas", "must not exceed maxReplicas (2), got 5")]
    public void Reports_bad_autoscaler_fields(string edit, string path, string message) =>
        HasProblem(ValidateEdited(edit), path, message);

    [Theory]
    [InlineData("spec.targetRef.kind=\"DaemonSet\"")]
    [InlineData("spec.targetRef.kind-")]
    [InlineData("spec.service.gateways- & spec.service.hosts- & spec.service.delegation=true")]
    [InlineData("spec.service.targetPort=\"http\"")]
    [InlineData("spec.service.timeout=\"1m30s\"")]
    [InlineData("spec.autoscalerRef.kind=\"ScaledObject\"")]
    [InlineData("spec.autoscalerRef-")]
    [InlineData("spec.autoscalerRef.primaryScalerReplicas={\"minReplicas\":2,\"maxReplicas\":2}")]
    [InlineData("spec.progressDeadlineSeconds=0")]
    [InlineData("spec.progressDeadlineSeconds=86400")]
    [InlineData("spec.targetRef.name=\"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\" & spec.service.name=\"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\"")]
    [InlineData("spec.analysis- & spec.skipAnalysis=true")]
    public void Accepts_valid_variations(string edit) =>
        Assert.Empty(ValidateEdited(edit));
}
