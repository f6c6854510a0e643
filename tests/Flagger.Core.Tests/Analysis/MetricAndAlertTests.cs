using Flagger.Fakes;
using Flagger.Metrics;
using Flagger.Model;
using Flagger.Notifications;

namespace Flagger.Analysis;

/// <summary>Builtin and templated metrics, and the alerts sent along the way.</summary>
public sealed class MetricAndAlertTests
{
    private static Canary WithTemplateMetric(string templateNamespace = "test") => Walkthrough.Canary(a => a with
    {
        Metrics =
        [
            new CanaryMetric
            {
                Name = "error-rate",
                Interval = "2m",
                ThresholdRange = new ThresholdRange { Max = 5 },
                TemplateRef = new ObjectReference { Name = "errors", Namespace = templateNamespace },
                TemplateVariables = new Dictionary<string, string> { ["code"] = "5.." },
            },
        ],
    });

    private static MetricTemplate ErrorsTemplate(string? secret = "prom-auth") => new()
    {
        Metadata = new ObjectMetadata { Name = "errors", Namespace = "test" },
        Spec = new MetricTemplateSpec
        {
            Provider = new MetricTemplateProvider { Type = "prometheus", Address = "http://prom:9090", SecretRef = secret is null ? null : new SecretReference { Name = secret } },
            Query = "sum(rate(http_requests_total{namespace=\"{{ namespace }}\",pod=~\"{{ target }}-.*\",code=~\"{{ variables.code }}\"}[{{ interval }}]))",
        },
    };

    private static async Task<CanaryHarness> AnalysingAsync(Canary canary, Action<CanaryHarness>? arrange = null)
    {
        var harness = new CanaryHarness(canary);
        arrange?.Invoke(harness);
        await harness.TickUntilAsync(CanaryPhase.Initialized);
        harness.Workload.SetImage("v2");
        await harness.TicksAsync(2);
        return harness;
    }

    [Fact]
    public async Task Builtin_query_is_rendered_for_the_target_and_sent_to_the_metrics_server()
    {
        using var harness = await AnalysingAsync(Walkthrough.Canary());
        await harness.TickAsync();

        Assert.Contains(harness.Metrics.Queries, q => q.Contains("destination_workload_namespace=\"test\",destination_workload=~\"podinfo\",response_code!~\"5.*\"}[1m]", StringComparison.Ordinal));
        Assert.Contains(harness.Metrics.Queries, q => q.Contains("istio_request_duration_milliseconds_bucket{reporter=\"destination\",destination_workload_namespace=\"test\",destination_workload=~\"podinfo\"}[30s]", StringComparison.Ordinal));
        Assert.All(harness.Metrics.Created, s => Assert.Equal("http://prometheus.istio-system:9090", s.Address));
        Assert.Contains(new MetricObservation("request-duration", 0.12), harness.Reports[^1].Metrics);
    }

    [Fact]
    public async Task No_values_halts_saying_the_target_probably_gets_no_traffic()
    {
        using var harness = await AnalysingAsync(Walkthrough.Canary());
        harness.Metrics.SuccessRate = null;

        await harness.TickAsync();

        Assert.Equal("Warning Halt advancement no values found for istio metric request-success-rate probably podinfo.test is not receiving traffic", harness.Recorder.Lines.Last());
        Assert.Equal(1, harness.Status.FailedChecks);
    }

    [Fact]
    public async Task Slow_canary_halts_with_the_duration_as_flagger_prints_it()
    {
        using var harness = await AnalysingAsync(Walkthrough.Canary());
        harness.Metrics.DurationMilliseconds = 1515;

        await harness.TickAsync();

        Assert.Equal("Warning Halt podinfo.test advancement request duration 1.515s > 500ms", harness.Recorder.Lines.Last());
    }

    [Fact]
    public async Task Template_metric_renders_its_query_with_credentials_from_the_secret()
    {
        using var harness = await AnalysingAsync(WithTemplateMetric(), h =>
        {
            h.Store.Apply(ErrorsTemplate());
            h.Store.ApplySecret("test", "prom-auth", new Dictionary<string, string> { ["token"] = "s3cret" });
        });
        harness.Metrics.Custom = MetricQueryResult.Of(7.25);

        await harness.TickAsync();

        Assert.Equal("sum(rate(http_requests_total{namespace=\"test\",pod=~\"podinfo-.*\",code=~\"5..\"}[2m]))", harness.Metrics.Queries.Last());
        var settings = harness.Metrics.Created.Last();
        Assert.Equal(("http://prom:9090", "s3cret"), (settings.Address, settings.Credentials!["token"]));
        Assert.Equal("Warning Halt podinfo.test advancement error-rate 7.25 > 5", harness.Recorder.Lines.Last());
    }

    [Fact]
    public async Task Missing_template_is_an_error_event_and_a_failed_check()
    {
        using var harness = await AnalysingAsync(WithTemplateMetric());

        await harness.TickAsync();

        Assert.Equal("Warning Metric template errors.test error: not found", harness.Recorder.Lines.Last());
        Assert.Equal(Events.EventSeverity.Error, harness.Recorder.Events.Last().Severity);
        Assert.Equal(1, harness.Status.FailedChecks);
    }

    [Fact]
    public async Task Missing_template_is_reported_on_the_canary_status_naming_the_metric_and_the_template()
    {
        using var harness = await AnalysingAsync(WithTemplateMetric());

        await harness.TickAsync();

        var condition = Assert.Single(harness.Status.Conditions!, c => c.Type == CanaryCondition.ResolvedRefsType);
        Assert.Equal(("False", "MetricTemplateError"), (condition.Status, condition.Reason));
        Assert.Equal("spec.analysis.metrics[0].templateRef: Metric template errors.test error: not found", condition.Message);
    }

    [Fact]
    public async Task Missing_template_is_reported_before_the_first_rollout_by_the_provider_check()
    {
        using var harness = new CanaryHarness(WithTemplateMetric());

        await harness.TickUntilAsync(CanaryPhase.Initialized);

        Assert.Contains("Warning Error checking metric providers: error-rate: Metric template errors.test error: not found", harness.Recorder.Lines);
        Assert.Contains(harness.Status.Conditions!, c => c.Type == CanaryCondition.ResolvedRefsType && c.Message!.Contains("errors.test", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Template_created_later_clears_the_condition_at_the_next_analysis()
    {
        using var harness = await AnalysingAsync(WithTemplateMetric());
        await harness.TickAsync();
        harness.Store.Apply(ErrorsTemplate(secret: null));
        harness.Metrics.Custom = MetricQueryResult.Of(1);

        await harness.TicksAsync(2);

        Assert.DoesNotContain(harness.Status.Conditions ?? [], c => c.Type == CanaryCondition.ResolvedRefsType);
    }

    [Fact]
    public async Task Unreadable_template_is_an_error_naming_its_field()
    {
        var unreadable = FlaggerJson.ReadMetricTemplate("""{"metadata":{"name":"errors","namespace":"test"},"spec":{"provider":{"type":"prometheus"},"query":7}}""");
        using var harness = await AnalysingAsync(WithTemplateMetric(), h => h.Store.Apply(unreadable));

        await harness.TickAsync();

        Assert.StartsWith("Warning Metric template errors.test error: spec.query: cannot be read", harness.Recorder.Lines.Last(), StringComparison.Ordinal);
        Assert.Equal(1, harness.Status.FailedChecks);
    }

    [Fact]
    public async Task Template_with_an_unknown_provider_type_names_the_known_ones()
    {
        using var harness = await AnalysingAsync(WithTemplateMetric(), h => h.Store.Apply(ErrorsTemplate(secret: null) is var t
            ? t with { Spec = t.Spec with { Provider = t.Spec.Provider with { Type = "datadog" } } }
            : t));

        await harness.TickAsync();

        Assert.Equal("Warning Metric template errors.test provider datadog error: unknown metrics provider type 'datadog'; known: prometheus", harness.Recorder.Lines.Last());
    }

    [Fact]
    public async Task Template_query_with_an_undefined_variable_is_a_render_error()
    {
        using var harness = await AnalysingAsync(WithTemplateMetric() is var c
            ? c with { Spec = c.Spec with { CanaryAnalysis = c.Spec.CanaryAnalysis! with { Metrics = [c.Spec.CanaryAnalysis.Metrics![0] with { TemplateVariables = null }] } } }
            : c, h => h.Store.Apply(ErrorsTemplate(secret: null)));

        await harness.TickAsync();

        Assert.StartsWith("Warning Metric template errors.test query render error: ", harness.Recorder.Lines.Last(), StringComparison.Ordinal);
        Assert.Contains("variables.code", harness.Recorder.Lines.Last(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Offline_metrics_provider_is_reported_while_initializing()
    {
        using var harness = new CanaryHarness(Walkthrough.Canary());
        harness.Metrics.Health = new ProviderHealth(false, "dial tcp: connection refused");

        await harness.TickAsync();

        Assert.StartsWith("Warning Error checking metric providers: request-success-rate: dial tcp: connection refused", harness.Recorder.Lines.First(), StringComparison.Ordinal);
        Assert.Equal(CanaryPhase.Initialized, harness.Status.Phase);
    }

    [Fact]
    public async Task Threshold_rollback_sends_an_error_alert_with_the_count()
    {
        var canary = Walkthrough.Canary(a => a with
        {
            Threshold = 1,
            Alerts = [new CanaryAlert { Name = "on-call", Severity = "error", ProviderRef = new ObjectReference { Name = "chat" } }],
        });
        using var harness = await AnalysingAsync(canary, h =>
        {
            h.Store.Apply(new AlertProvider
            {
                Metadata = new ObjectMetadata { Name = "chat", Namespace = "test" },
                Spec = new AlertProviderSpec { Type = "slack", Channel = "deploys", SecretRef = new SecretReference { Name = "chat-url" } },
            });
            h.Store.ApplySecret("test", "chat-url", new Dictionary<string, string> { ["address"] = "https://chat.example/hook", ["token"] = "t0ken", ["proxy"] = "http://egress:3128" });
        });
        harness.Metrics.SuccessRate = 12;

        await harness.TickAsync();

        var alert = Assert.Single(harness.Notifier.Sent);
        Assert.Equal(("Failed checks threshold reached 1", AlertSeverity.Error, "podinfo", "test"), (alert.Message, alert.Severity, alert.Workload, alert.Namespace));
        var settings = Assert.Single(harness.Notifier.Created);
        Assert.Equal(("https://chat.example/hook", "deploys", "flagger", "t0ken", "http://egress:3128"), (settings.Address, settings.Channel, settings.Username, settings.Token, settings.Proxy));
    }

    [Fact]
    public async Task Global_notifier_gets_alerts_with_metadata_when_the_canary_has_none()
    {
        using var harness = new CanaryHarness(Walkthrough.Canary(), o => o.ClusterName = "prod-eu", globalNotifier: true);
        await harness.TickUntilAsync(CanaryPhase.Initialized);
        harness.Workload.SetImage("v2");

        await harness.TickAsync();

        var alert = harness.Notifier.Sent.Last();
        Assert.Equal("New revision detected, progressing canary analysis.", alert.Message);
        Assert.Equal(
            ["Cluster=prod-eu", "Target=Deployment/podinfo.test", "Failed checks threshold=5", "Progress deadline=60s", "Traffic routing=Weight step: 10 max: 50"],
            alert.Fields.Select(f => $"{f.Name}={f.Value}"));
    }
}
