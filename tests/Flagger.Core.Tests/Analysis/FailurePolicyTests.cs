using Flagger.Fakes;
using Flagger.Metrics;
using Flagger.Model;
using Flagger.Notifications;
using Flagger.Routing;

namespace Flagger.Analysis;

/// <summary>
/// The failure policy of the README's differences table: providers that throw are providers that failed, notifiers
/// never hold traffic on a bad revision, and a failure that persists past the progress deadline rolls back.
/// </summary>
public sealed class FailurePolicyTests
{
    private static Canary WithThrowingTemplate() => Walkthrough.Canary(a => a with
    {
        Threshold = 2,
        Metrics =
        [
            new CanaryMetric
            {
                Name = "error-budget",
                Interval = "1m",
                ThresholdRange = new ThresholdRange { Max = 5 },
                TemplateRef = new ObjectReference { Name = "budget", Namespace = "test" },
            },
        ],
    });

    private static async Task<CanaryHarness> ProgressingAsync(Canary canary, Action<Providers.FlaggerEngineBuilder>? providers = null, Action<CanaryHarness>? arrange = null)
    {
        var harness = new CanaryHarness(canary, providers: providers);
        harness.Store.Apply(new MetricTemplate
        {
            Metadata = new ObjectMetadata { Name = "budget", Namespace = "test" },
            Spec = new MetricTemplateSpec { Provider = new MetricTemplateProvider { Type = "throwing", Address = "http://budget.test" }, Query = "errors{app=\"{{ target }}\"}" },
        });
        arrange?.Invoke(harness);
        await harness.TickUntilAsync(CanaryPhase.Initialized);
        harness.Workload.SetImage("v2");
        await harness.TickUntilAsync(CanaryPhase.Progressing);
        return harness;
    }

    [Fact]
    public async Task A_metrics_provider_that_throws_is_a_failed_check_naming_metric_template_and_provider_and_rolls_back()
    {
        using var harness = await ProgressingAsync(WithThrowingTemplate(), p => p.AddProvider<IMetricsProviderFactory>("throwing", new ThrowingMetrics()));

        await harness.TickAsync(); // pre-rollout: weight 10
        await harness.TickAsync();

        Assert.Equal(1, harness.Status.FailedChecks);
        var halt = harness.Recorder.Lines.Last();
        Assert.Equal("Warning Metric query failed for error-budget: ThrowingMetrics threw HttpRequestException: Connection refused (budget.test:80) (template budget, provider throwing)", halt);

        await harness.TickAsync();

        Assert.Equal(CanaryPhase.Failed, harness.Status.Phase);
        Assert.Equal(TrafficRoutes.AllToPrimary, harness.Mesh.Routes);
        Assert.Contains("Warning Rolling back podinfo.test failed checks threshold reached 2", harness.Recorder.Lines);
    }

    [Fact]
    public async Task A_notifier_that_times_out_never_blocks_initialisation_or_the_rollback()
    {
        var canary = Walkthrough.Canary(a => a with
        {
            Threshold = 1,
            Alerts = [new CanaryAlert { Name = "on-call", ProviderRef = new ObjectReference { Name = "chat" } }],
        });
        var chat = new TimingOutNotifier();
        using var harness = new CanaryHarness(canary, providers: b => b.AddProvider<INotifierFactory>("timing-out", chat));
        harness.Store.Apply(new AlertProvider { Metadata = new ObjectMetadata { Name = "chat", Namespace = "test" }, Spec = new AlertProviderSpec { Type = "timing-out", Address = "http://chat.test/hook" } });

        await harness.TickUntilAsync(CanaryPhase.Initialized, maxTicks: 3);
        harness.Workload.SetImage("v2");
        harness.Metrics.SuccessRate = 12;
        await harness.TickUntilAsync(CanaryPhase.Progressing, maxTicks: 2);
        await harness.TickAsync(); // pre-rollout, weight 10
        var report = await harness.TickAsync();

        Assert.Equal(RunOutcome.RolledBack, report.Outcome);
        Assert.Equal(CanaryPhase.Failed, harness.Status.Phase);
        Assert.Equal(TrafficRoutes.AllToPrimary, harness.Mesh.Routes);
        Assert.True(chat.Posts >= 3, $"{chat.Posts} posts");
        Assert.Contains(report.EffectFailures, f => f.Kind == "alert" && f.Name == "on-call");
    }

    [Fact]
    public async Task A_read_that_keeps_failing_past_the_progress_deadline_rolls_back_naming_the_call_and_the_reason()
    {
        using var harness = await ProgressingAsync(Walkthrough.Canary(spec: s => s with { ProgressDeadlineSeconds = 120 }));
        await harness.TickAsync();
        Assert.Equal(10, harness.Mesh.Routes.CanaryWeight);
        harness.Workload.Missing = true;

        await harness.TickAsync(); // failing since now
        await harness.TickAsync(); // 60 s
        Assert.Equal(CanaryPhase.Progressing, harness.Status.Phase);
        await harness.TickAsync(); // 120 s: not longer than the deadline yet
        Assert.Equal(CanaryPhase.Progressing, harness.Status.Phase);
        await harness.TickAsync(); // 180 s

        Assert.Equal(CanaryPhase.Failed, harness.Status.Phase);
        Assert.Equal(TrafficRoutes.AllToPrimary, harness.Mesh.Routes);
        Assert.Contains(
            "Warning Rolling back podinfo.test initialising the primary Deployment failing for 180s, past the progress deadline of 120s: deployment podinfo.test get query error: deployments.apps \"podinfo\" not found",
            harness.Recorder.Lines);
    }

    [Fact]
    public async Task A_failing_route_write_keeps_the_counted_check_and_retries_the_rollback_next_tick()
    {
        using var harness = await ProgressingAsync(Walkthrough.Canary(a => a with { Threshold = 1 }));
        await harness.TickAsync();
        harness.Metrics.SuccessRate = 12;
        harness.Mesh.FailWith = "virtualservices.networking.istio.io \"podinfo\" is forbidden";

        var refused = await harness.TickAsync();

        Assert.Equal(RunOutcome.None, refused.Outcome);
        Assert.Equal((CanaryPhase.Progressing, 1), (harness.Status.Phase, harness.Status.FailedChecks));
        Assert.Equal(1, harness.Workload.TargetReplicas); // never scaled down while it still takes traffic
        Assert.Equal("Warning virtualservices.networking.istio.io \"podinfo\" is forbidden", harness.Recorder.Lines.Last());

        harness.Mesh.FailWith = null;
        var retried = await harness.TickAsync();

        Assert.Equal(RunOutcome.RolledBack, retried.Outcome);
        Assert.Equal(TrafficRoutes.AllToPrimary, harness.Mesh.Routes);
        Assert.Equal(0, harness.Workload.TargetReplicas);
    }

    [Fact]
    public async Task An_unexpected_exception_is_an_internal_error_naming_the_step_and_type_only()
    {
        using var harness = new CanaryHarness(Walkthrough.Canary(), providers: b => b.AddProvider<IMeshRouter>("broken", new BrokenRouter()));
        harness.Store.Apply(Walkthrough.Canary(a => a with { Metrics = [] }, s => s with { Provider = "broken" }));

        var report = await harness.TickAsync();

        Assert.Equal("Warning Internal error in reconciling the broken routes for podinfo.test: NullReferenceException", harness.Recorder.Lines.Last());
        Assert.Equal("Internal error in reconciling the broken routes for podinfo.test: NullReferenceException", report.Failure);
    }

    [Fact]
    public async Task A_failed_canary_takes_back_traffic_that_drifted_to_it()
    {
        using var harness = await ProgressingAsync(Walkthrough.Canary(a => a with { Threshold = 1 }));
        await harness.TickAsync();
        harness.Metrics.SuccessRate = 12;
        await harness.TickAsync();
        Assert.Equal(CanaryPhase.Failed, harness.Status.Phase);

        await harness.Mesh.SetRoutesAsync(harness.Canary, new TrafficRoutes(70, 30), TestContext.Current.CancellationToken);
        await harness.TickAsync();

        Assert.Equal(TrafficRoutes.AllToPrimary, harness.Mesh.Routes);
        Assert.Equal("Warning Routing all traffic back to the primary of failed canary podinfo.test", harness.Recorder.Lines.Last());
    }

    [Fact]
    public async Task A_sequential_comparison_of_a_template_metric_is_refused_naming_the_field()
    {
        var canary = Walkthrough.Canary(a => a with
        {
            Metrics = [a.Metrics![0], new CanaryMetric { Name = "errors", TemplateRef = new ObjectReference { Name = "errors" }, Comparison = new MetricComparison { Method = "sequential" } }],
        });
        using var harness = new CanaryHarness(canary);

        await harness.TickAsync();

        var valid = Assert.Single(harness.Status.Conditions!, c => c.Type == CanaryCondition.ValidType);
        Assert.Equal("False", valid.Status);
        Assert.Contains("spec.analysis.metrics[1].comparison.method: sequential judges per-request counts, which only the builtin request-success-rate and request-duration supply; use mann-whitney", valid.Message, StringComparison.Ordinal);
        Assert.Equal(0, harness.Services.Initializations);
    }

    [Fact]
    public async Task An_interval_below_the_minimum_is_said_once_a_run_not_raised_silently()
    {
        using var harness = new CanaryHarness(Walkthrough.Canary(a => a with { Interval = "2s" }));

        await harness.TickUntilAsync(CanaryPhase.Initialized);
        harness.Workload.SetImage("v2");
        await harness.TickUntilAsync(CanaryPhase.Progressing);
        await harness.TicksAsync(2);

        var said = harness.Recorder.Lines.Where(l => l.Contains("below the operator's minimum", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, said.Count);
        Assert.All(said, l => Assert.Equal("Normal Interval 2s is below the operator's minimum: podinfo.test is analysed every 10s", l));
    }

    private sealed class ThrowingMetrics : IMetricsProviderFactory, IMetricsProvider
    {
        public IMetricsProvider Create(MetricsProviderSettings settings) => this;

        public Task<MetricQueryResult> RunQueryAsync(string query, CancellationToken cancellationToken) =>
            throw new HttpRequestException("Connection refused (budget.test:80)");

        public Task<ProviderHealth> CheckHealthAsync(CancellationToken cancellationToken) => Task.FromResult(ProviderHealth.Online);
    }

    // What an HTTP chat client does when the service never answers: its own timeout cancels the post.
    private sealed class TimingOutNotifier : INotifierFactory, INotifier
    {
        public int Posts { get; private set; }

        public INotifier Create(NotifierSettings settings) => this;

        public Task PostAsync(Notification notification, CancellationToken cancellationToken)
        {
            Posts++;
            throw new TaskCanceledException("The request was canceled due to the configured HttpClient.Timeout of 5 seconds elapsing.");
        }
    }

    private sealed class BrokenRouter : IMeshRouter
    {
        public Task ReconcileAsync(Canary canary, CancellationToken cancellationToken)
        {
            Canary? missing = null;
            return Task.FromResult(missing!.Name); // a bug: a null dereference
        }

        public Task SetRoutesAsync(Canary canary, TrafficRoutes routes, CancellationToken cancellationToken) => Task.CompletedTask;

        public Task<TrafficRoutes> GetRoutesAsync(Canary canary, CancellationToken cancellationToken) => Task.FromResult(TrafficRoutes.AllToPrimary);

        public Task FinalizeAsync(Canary canary, CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
