using static Flagger.Tests.Model.Validation.ValidationAssert;

namespace Flagger.Tests.Model.Validation;

/// <summary>One row per bad input in the analysis block's lists: metrics, webhooks, alerts.</summary>
public sealed class AnalysisListValidationTests
{
    [Theory]
    [InlineData("spec.analysis.metrics[0]=null", "spec.analysis.metrics[0]", "must not be empty")]
    [InlineData("spec.analysis.metrics[0].name-", "spec.analysis.metrics[0].name", "required")]
    [InlineData("spec.analysis.metrics[1].name=\"request-success-rate\"", "spec.analysis.metrics[1].name", "duplicate metric name 'request-success-rate', already used by spec.analysis.metrics[0]")]
    [InlineData("spec.analysis.metrics[0].interval=\"1x\"", "spec.analysis.metrics[0].interval", "must be a duration such as 1m or 30s, got '1x'")]
    [InlineData("spec.analysis.metrics[0].interval=\"25h\"", "spec.analysis.metrics[0].interval", "must be at most 24h0m0s, got '25h'")]
    [InlineData("spec.analysis.metrics[1].thresholdRange={\"min\":500,\"max\":100}", "spec.analysis.metrics[1].thresholdRange", "min must not exceed max, got min 500 and max 100")]
    [InlineData("spec.analysis.metrics[2]={\"name\":\"error-rate\",\"thresholdRange\":{\"max\":1}}", "spec.analysis.metrics[2]", "no usable metrics template and query were configured for 'error-rate'")]
    [InlineData("spec.analysis.metrics[2]={\"name\":\"error-rate\",\"query\":\" \"}", "spec.analysis.metrics[2]", "set templateRef, or use a builtin metric (request-success-rate, request-duration)")]
    [InlineData("spec.analysis.metrics[2]={\"name\":\"error-rate\",\"templateRef\":{}}", "spec.analysis.metrics[2].templateRef.name", "required")]
    public void Reports_bad_metrics(string edit, string path, string message) =>
        HasProblem(ValidateEdited(edit), path, message);

    [Theory]
    [InlineData("spec.analysis.webhooks[0]=null", "spec.analysis.webhooks[0]", "must not be empty")]
    [InlineData("spec.analysis.webhooks[0].name-", "spec.analysis.webhooks[0].name", "required")]
    [InlineData("spec.analysis.webhooks[1]={\"name\":\"load-test\",\"url\":\"http://flagger-loadtester.test/\"}", "spec.analysis.webhooks[1].name", "duplicate webhook name 'load-test', already used by spec.analysis.webhooks[0]")]
    [InlineData("spec.analysis.webhooks[0].type=\"pre-rolout\"", "spec.analysis.webhooks[0].type", "unknown type 'pre-rolout'; known types are confirm-rollout, pre-rollout, rollout, confirm-traffic-increase, confirm-promotion, post-rollout, rollback, event")]
    [InlineData("spec.analysis.webhooks[0].type=\"Rollout\"", "spec.analysis.webhooks[0].type", "unknown type 'Rollout'")]
    [InlineData("spec.analysis.webhooks[0].url-", "spec.analysis.webhooks[0].url", "required")]
    [InlineData("spec.analysis.webhooks[0].url=\"flagger-loadtester.test\"", "spec.analysis.webhooks[0].url", "must be an absolute http or https URL, got 'flagger-loadtester.test'")]
    [InlineData("spec.analysis.webhooks[0].url=\"user:pw@hooks.local/x?token=abc&team=1\"", "spec.analysis.webhooks[0].url", "must be an absolute http or https URL, got '[redacted]@hooks.local/x?token=[redacted]&team=[redacted]'")]
    [InlineData("spec.analysis.webhooks[0].url=\"ftp://flagger-loadtester.test/\"", "spec.analysis.webhooks[0].url", "must be an absolute http or https URL")]
    [InlineData("spec.analysis.webhooks[0].url=\"/gate/approve\"", "spec.analysis.webhooks[0].url", "must be an absolute http or https URL")]
    [InlineData("spec.analysis.webhooks[0].timeout=\"5\"", "spec.analysis.webhooks[0].timeout", "must be a duration such as 10s, got '5'")]
    [InlineData("spec.analysis.webhooks[0].retries=-1", "spec.analysis.webhooks[0].retries", "must be 0..10, got -1")]
    [InlineData("spec.analysis.webhooks[0].retries=11", "spec.analysis.webhooks[0].retries", "must be 0..10, got 11")]
    [InlineData("spec.analysis.webhooks[0].retries=2147483647", "spec.analysis.webhooks[0].retries", "must be 0..10, got 2147483647")]
    [InlineData("spec.analysis.webhooks[0].timeout=\"61m\"", "spec.analysis.webhooks[0].timeout", "must be at most 1h0m0s, got '61m'")]
    [InlineData("spec.analysis.webhooks[0].timeout=\"99999999999999m\"", "spec.analysis.webhooks[0].timeout", "must be at most 1h0m0s, got '99999999999999m'")]
    public void Reports_bad_webhooks(string edit, string path, string message) =>
        HasProblem(ValidateEdited(edit), path, message);

    [Theory]
    [InlineData("spec.analysis.alerts=[null]", "spec.analysis.alerts[0]", "must not be empty")]
    [InlineData("spec.analysis.alerts=[{\"providerRef\":{\"name\":\"on-call\"}}]", "spec.analysis.alerts[0].name", "required")]
    [InlineData("spec.analysis.alerts=[{\"name\":\"on-call\",\"severity\":\"critical\",\"providerRef\":{\"name\":\"slack\"}}]", "spec.analysis.alerts[0].severity", "must be info, warn or error, got 'critical'")]
    [InlineData("spec.analysis.alerts=[{\"name\":\"on-call\",\"severity\":\"warn\"}]", "spec.analysis.alerts[0].providerRef", "required; name the AlertProvider")]
    [InlineData("spec.analysis.alerts=[{\"name\":\"on-call\",\"providerRef\":{}}]", "spec.analysis.alerts[0].providerRef.name", "required")]
    public void Reports_bad_alerts(string edit, string path, string message) =>
        HasProblem(ValidateEdited(edit), path, message);

    [Theory]
    [InlineData("spec.analysis.metrics[2]={\"name\":\"error-rate\",\"templateRef\":{\"name\":\"error-rate\"},\"templateVariables\":{\"limit\":\"1\"}}")]
    [InlineData("spec.analysis.metrics[2]={\"name\":\"cpu\",\"query\":\"sum(rate(cpu[1m]))\",\"threshold\":80}")]
    [InlineData("spec.analysis.metrics[1].thresholdRange={\"min\":100,\"max\":100}")]
    [InlineData("spec.analysis.metrics[1].thresholdRange={\"max\":500}")]
    [InlineData("spec.analysis.metrics[0].interval-")]
    [InlineData("spec.analysis.metrics-")]
    [InlineData("spec.analysis.webhooks[0].type=\"\"")]
    [InlineData("spec.analysis.webhooks[0].type=\"confirm-promotion\" & spec.analysis.webhooks[0].url=\"https://gate.test/gate/check\"")]
    [InlineData("spec.analysis.webhooks[0].timeout- & spec.analysis.webhooks[0].retries=3")]
    [InlineData("spec.analysis.webhooks[0].timeout=\"1h\" & spec.analysis.webhooks[0].retries=10")]
    [InlineData("spec.analysis.webhooks[0].metadata={\"cmd\":null}")]
    [InlineData("spec.analysis.alerts=[{\"name\":\"a\",\"severity\":\"\",\"providerRef\":{\"name\":\"slack\"}},{\"name\":\"b\",\"severity\":\"error\",\"providerRef\":{\"name\":\"slack\",\"namespace\":\"flagger\"}}]")]
    public void Accepts_valid_variations(string edit) =>
        Assert.Empty(ValidateEdited(edit));
}
