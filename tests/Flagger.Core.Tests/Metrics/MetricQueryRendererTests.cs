using CsCheck;
using Flagger.Metrics;
using Flagger.Model;
using Flagger.Tests.Model;

namespace Flagger.Tests.Metrics;

public sealed class MetricQueryRendererTests
{
    private static readonly MetricQueryVariables Podinfo = new()
    {
        Name = "podinfo-canary",
        Namespace = "test",
        Target = "podinfo",
        Service = "podinfo-svc",
        Interval = "1m",
        Ingress = "podinfo-ingress",
        Route = "podinfo-route",
        Variables = new Dictionary<string, string> { ["direction"] = "inbound", ["empty"] = string.Empty },
    };

    [Theory]
    [InlineData("{{ namespace }}", "test")]
    [InlineData("{{ target }}", "podinfo")]
    [InlineData("{{ service }}", "podinfo-svc")]
    [InlineData("{{ name }}", "podinfo-canary")]
    [InlineData("{{ interval }}", "1m")]
    [InlineData("{{ ingress }}", "podinfo-ingress")]
    [InlineData("{{ route }}", "podinfo-route")]
    [InlineData("{{ variables.direction }}", "inbound")]
    [InlineData("{{ variables.empty }}", "")]
    [InlineData("{{target}}", "podinfo")]
    [InlineData("{{   target\t}}", "podinfo")]
    [InlineData("{{ target }}-primary", "podinfo-primary")]
    [InlineData("a {{- target }} b", "apodinfo b")]
    [InlineData("a {{ target -}} b", "a podinfob")]
    [InlineData("a\n  {{- target -}}\n  b", "apodinfob")]
    [InlineData("no placeholders", "no placeholders")]
    [InlineData("", "")]
    [InlineData("{ target } }}", "{ target } }}")]
    [InlineData("rate(x[{{ interval }}]) {{ namespace }}/{{ target }}", "rate(x[1m]) test/podinfo")]
    public void Fills_every_placeholder(string template, string expected)
    {
        var result = MetricQueryRenderer.Render(template, Podinfo);

        Assert.True(result.Succeeded, result.Error);
        Assert.Equal(expected, result.Query);
    }

    [Theory]
    [InlineData("{{ variables.missing }}", "variables.missing is not defined in the canary's templateVariables")]
    [InlineData("ok {{ target }} then {{ variables.Direction }}", "variables.Direction is not defined in the canary's templateVariables")]
    [InlineData("{{ namepsace }}", "unknown placeholder '{{ namepsace }}' in the query; known placeholders are name, namespace, target, service, ingress, route, interval and variables.<key>")]
    [InlineData("{{ .namespace }}", "unknown placeholder '{{ .namespace }}'")]
    [InlineData("{{ Target }}", "unknown placeholder '{{ Target }}'")]
    [InlineData("{{ variables }}", "unknown placeholder '{{ variables }}'")]
    [InlineData("{{ variables. }}", "unknown placeholder '{{ variables. }}'")]
    [InlineData("{{ }}", "unknown placeholder")]
    [InlineData("sum(up{ns=\"{{ namespace }\"})", "unclosed '{{' at offset 11 of the query")]
    [InlineData("{{ namespace }} and {{ target", "unclosed '{{' at offset 20 of the query")]
    public void Names_what_it_cannot_fill(string template, string error)
    {
        var result = MetricQueryRenderer.Render(template, Podinfo);

        Assert.False(result.Succeeded);
        Assert.Null(result.Query);
        Assert.Contains(error, result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_metric_without_template_variables_has_none()
    {
        var result = MetricQueryRenderer.Render("{{ variables.direction }}", Podinfo with { Variables = null });

        Assert.Equal("variables.direction is not defined in the canary's templateVariables", result.Error);
    }

    [Fact]
    public void Ingress_and_route_default_to_the_target() =>
        Assert.Equal(
            "podinfo podinfo",
            MetricQueryRenderer.Render("{{ ingress }} {{ route }}", Podinfo with { Ingress = null, Route = null }).Query);

    [Fact]
    public void Renders_the_istio_success_rate_query_for_the_walkthrough()
    {
        var canary = FlaggerJson.DeserializeCanary(WalkthroughCanary.Json);
        var metric = canary.Spec.GetAnalysis()!.Metrics![0];

        var result = MetricQueryRenderer.Render(new Fakes.IstioQueries().RequestSuccessRateQuery, MetricQueryVariables.For(canary, metric));

        Assert.True(result.Succeeded, result.Error);
        Assert.Contains("destination_workload_namespace=\"test\",destination_workload=~\"podinfo\",response_code!~\"5.*\"}[1m]", result.Query, StringComparison.Ordinal);
        Assert.DoesNotContain("{{", result.Query, StringComparison.Ordinal);
    }

    [Fact]
    public void Variables_for_a_canary_metric_follow_Flagger()
    {
        var canary = FlaggerJson.DeserializeCanary(JsonEdit.Apply(
            WalkthroughCanary.V1Beta1Json,
            "spec.service.name=\"podinfo-svc\" & spec.ingressRef={\"name\":\"podinfo-ing\"}"));
        var metric = new CanaryMetric { Name = "errors", TemplateVariables = new Dictionary<string, string> { ["x"] = "1" } };

        var variables = MetricQueryVariables.For(canary, metric);

        Assert.Equal(
            ("podinfo", "test", "podinfo", "podinfo-svc", "1m", "podinfo-ing", null),
            (variables.Name, variables.Namespace, variables.Target, variables.Service, variables.Interval, variables.Ingress, variables.Route));
        Assert.Same(metric.TemplateVariables, variables.Variables);
    }

    [Fact]
    public void Variables_for_a_canary_with_nothing_set_are_empty_not_null()
    {
        var variables = MetricQueryVariables.For(new Canary { Metadata = null!, Spec = null! }, new CanaryMetric());

        Assert.Equal(("", "", "", "", "1m"), (variables.Name, variables.Namespace, variables.Target, variables.Service, variables.Interval));
    }

    [Fact]
    public void Render_never_throws_and_leaves_text_without_braces_alone() =>
        Gen.String[Gen.Char["{}- .abcnmespvrlitgou\n"], 0, 40].Sample(template =>
        {
            var result = MetricQueryRenderer.Render(template, Podinfo);

            Assert.True(result.Succeeded ^ (result.Error is not null));
            if (!template.Contains("{{", StringComparison.Ordinal))
            {
                Assert.Equal(template, result.Query);
            }
        });
}
