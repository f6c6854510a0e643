using Flagger.Model;
using Flagger.Model.Validation;
using static Flagger.Tests.Model.Validation.ValidationAssert;

namespace Flagger.Tests.Model.Validation;

public sealed class MetricTemplateValidatorTests
{
    private const string NotFound = """
        {
          "apiVersion": "flagger.app/v1beta1",
          "kind": "MetricTemplate",
          "metadata": { "name": "not-found-percentage", "namespace": "istio-system" },
          "spec": {
            "provider": { "type": "prometheus", "address": "http://prometheus.istio-system:9090" },
            "query": "100 - sum(rate(istio_requests_total{reporter=\"destination\",destination_workload_namespace=\"{{ namespace }}\",destination_workload=\"{{ target }}\",response_code!=\"404\"}[{{ interval }}])) / sum(rate(istio_requests_total{reporter=\"destination\",destination_workload_namespace=\"{{ namespace }}\",destination_workload=\"{{ target }}\"}[{{ interval }}])) * 100"
          }
        }
        """;

    [Fact]
    public void The_docs_not_found_template_has_no_problems() =>
        Assert.Empty(Validate(string.Empty));

    [Theory]
    [InlineData("spec=null", "spec", "required")]
    [InlineData("spec.provider=null", "spec.provider", "required; set at least spec.provider.type")]
    [InlineData("spec.provider.type-", "spec.provider.type", "required; the metrics provider to query, such as prometheus")]
    [InlineData("spec.provider.address-", "spec.provider.address", "required for the prometheus provider")]
    [InlineData("spec.provider.address=\"prometheus:9090\"", "spec.provider.address", "must be an absolute http or https URL, got 'prometheus:9090'")]
    [InlineData("spec.provider.secretRef={}", "spec.provider.secretRef.name", "required")]
    [InlineData("spec.query-", "spec.query", "required")]
    [InlineData("spec.query=\"  \"", "spec.query", "required")]
    [InlineData("spec.query=\"sum(up{namespace=\\\"{{ namepsace }}\\\"})\"", "spec.query", "unknown placeholder '{{ namepsace }}'")]
    [InlineData("spec.query=\"sum(up{namespace=\\\"{{ namespace \\\"})\"", "spec.query", "unclosed '{{'")]
    public void Reports_bad_fields(string edit, string path, string message) =>
        HasProblem(Validate(edit), path, message);

    [Theory]
    [InlineData("spec.provider={\"type\":\"datadog\"}")]
    [InlineData("spec.provider={\"type\":\"cloudwatch\",\"region\":\"eu-west-1\"}")]
    [InlineData("spec.query=\"{{ variables.direction }} {{ service }} {{ ingress }} {{ route }} {{ name }}\"")]
    [InlineData("spec.provider.secretRef={\"name\":\"prom-auth\"}")]
    public void Accepts_valid_variations(string edit) =>
        Assert.Empty(Validate(edit));

    [Fact]
    public void Departure_7_an_unknown_metrics_provider_names_the_known_ones()
    {
        var options = new ValidationOptions { KnownMetricsProviders = ["prometheus", "datadog"] };

        var problem = Assert.Single(Validate("spec.provider.type=\"promethues\"", options));

        Assert.Equal("spec.provider.type: unknown provider 'promethues'; known providers are prometheus, datadog", problem.ToString());
        Assert.Empty(Validate(string.Empty, options));
    }

    [Fact]
    public void Every_problem_is_returned_together() =>
        Assert.Equal(
            ["spec.provider.type", "spec.query"],
            Validate("spec.provider={} & spec.query-").Select(p => p.Path));

    private static IReadOnlyList<ValidationProblem> Validate(string edits, ValidationOptions? options = null) =>
        MetricTemplateValidator.Validate(FlaggerJson.DeserializeMetricTemplate(JsonEdit.Apply(NotFound, edits)), options);
}
