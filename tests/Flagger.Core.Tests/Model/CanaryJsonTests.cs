using System.Text.Json;
using Flagger.Model;

namespace Flagger.Tests.Model;

public sealed class CanaryJsonTests
{
    [Fact]
    public void Reads_the_walkthrough_canary_with_its_legacy_canaryAnalysis()
    {
        var canary = FlaggerJson.DeserializeCanary(WalkthroughCanary.Json);

        Assert.Equal("flagger.app/v1alpha3", canary.ApiVersion);
        Assert.Equal("podinfo.test", canary.Id);
        Assert.Equal(new ObjectReference { ApiVersion = "apps/v1", Kind = "Deployment", Name = "podinfo" }, canary.Spec.TargetRef);
        Assert.Equal(60, canary.Spec.ProgressDeadlineSeconds);
        Assert.Equal("HorizontalPodAutoscaler", canary.Spec.AutoscalerRef?.Kind);
        Assert.Equal("autoscaling/v2beta1", canary.Spec.AutoscalerRef?.ApiVersion);

        var service = Assert.IsType<CanaryService>(canary.Spec.Service);
        Assert.Equal(9898, service.Port);
        Assert.Equal(["public-gateway.istio-system.svc.cluster.local", "mesh"], service.Gateways);
        Assert.Equal(["app.example.com"], service.Hosts);
        Assert.Equal("DISABLE", service.TrafficPolicy?.GetProperty("tls").GetProperty("mode").GetString());

        Assert.Null(canary.Spec.Analysis);
        var analysis = canary.Spec.GetAnalysis();
        Assert.Same(canary.Spec.CanaryAnalysis, analysis);
        Assert.Equal(("1m", 5, 50, 10), (analysis?.Interval, analysis?.Threshold, analysis?.MaxWeight, analysis?.StepWeight));
    }

    [Fact]
    public void Reads_the_walkthrough_metrics_and_load_test_webhook()
    {
        var analysis = FlaggerJson.DeserializeCanary(WalkthroughCanary.Json).Spec.GetAnalysis()!;

        Assert.Collection(
            analysis.Metrics!,
            m => Assert.Equal(("request-success-rate", 99d, "1m"), (m.Name, m.Threshold, m.Interval)),
            m => Assert.Equal(("request-duration", 500d, "30s"), (m.Name, m.Threshold, m.Interval)));
        var hook = Assert.Single(analysis.Webhooks!);
        Assert.Equal(("load-test", "http://flagger-loadtester.test/", "5s"), (hook.Name, hook.Url, hook.Timeout));
        Assert.Null(hook.Type);
        Assert.Equal("hey -z 1m -q 10 -c 2 http://podinfo-canary.test:9898/", hook.Metadata?["cmd"]);
    }

    [Fact]
    public void Analysis_is_preferred_over_the_legacy_canaryAnalysis()
    {
        var json = JsonEdit.Apply(WalkthroughCanary.V1Beta1Json, "spec.canaryAnalysis={\"interval\":\"5m\",\"stepWeight\":1}");

        var spec = FlaggerJson.DeserializeCanary(json).Spec;

        Assert.Equal("1m", spec.GetAnalysis()?.Interval);
        Assert.Same(spec.Analysis, spec.GetAnalysis());
    }

    [Fact]
    public void Writes_camelCase_with_Flaggers_field_names()
    {
        var json = JsonEdit.Apply(WalkthroughCanary.V1Beta1Json, "spec.analysis.webhooks[0].disableTLS=true");

        var written = FlaggerJson.Serialize(FlaggerJson.DeserializeCanary(json));

        Assert.Contains("\"disableTLS\":true", written, StringComparison.Ordinal);
        Assert.Contains("\"metadata\":{\"name\":\"podinfo\",\"namespace\":\"test\"}", written, StringComparison.Ordinal);
        Assert.Contains("\"targetRef\":{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"name\":\"podinfo\"}", written, StringComparison.Ordinal);
        Assert.Contains("\"progressDeadlineSeconds\":60", written, StringComparison.Ordinal);
        Assert.Contains("\"stepWeight\":10", written, StringComparison.Ordinal);
        Assert.DoesNotContain("DisableTls", written, StringComparison.Ordinal);
        Assert.DoesNotContain("\"Spec\"", written, StringComparison.Ordinal);
    }

    [Fact]
    public void Status_writes_zero_counters_and_timestamps_as_Kubernetes_does()
    {
        var status = new CanaryStatus
        {
            Phase = CanaryPhase.Succeeded,
            LastTransitionTime = new DateTimeOffset(2019, 1, 16, 15, 5, 7, 250, TimeSpan.FromHours(1)),
        };

        var written = FlaggerJson.Serialize(status);

        // kubectl's WEIGHT column and `jq .status.canaryWeight` read 0, not an absent field.
        Assert.Contains("\"canaryWeight\":0", written, StringComparison.Ordinal);
        Assert.Contains("\"failedChecks\":0", written, StringComparison.Ordinal);
        Assert.Contains("\"iterations\":0", written, StringComparison.Ordinal);
        Assert.Contains("\"lastTransitionTime\":\"2019-01-16T14:05:07Z\"", written, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("2019-01-16T14:05:07Z")]
    [InlineData("2019-01-16T14:05:07.123456Z")]
    [InlineData("2019-01-16T15:05:07+01:00")]
    public void Reads_RFC3339_timestamps_in_any_offset(string time)
    {
        var canary = FlaggerJson.DeserializeCanary("{\"status\":{\"lastTransitionTime\":\"" + time + "\"}}");

        var value = canary.Status!.LastTransitionTime!.Value;
        var wholeSeconds = value.AddTicks(-(value.Ticks % TimeSpan.TicksPerSecond));
        Assert.Equal(new DateTimeOffset(2019, 1, 16, 14, 5, 7, TimeSpan.Zero), wholeSeconds);
    }

    [Fact]
    public void ReadCanary_keeps_an_unreadable_canary_with_its_metadata_and_names_the_field()
    {
        var json = JsonEdit.Apply(WalkthroughCanary.V1Beta1Json, "spec.analysis.stepWeight=\"ten\" & metadata.generation=3");

        var canary = FlaggerJson.ReadCanary(json);

        Assert.Equal(("podinfo", "test", 3L), (canary.Name, canary.Namespace, canary.Metadata.Generation));
        Assert.Equal("spec.analysis.stepWeight: cannot be read as this field's type (got \"ten\"); see the Canary reference for what it takes", canary.ReadError);
        var problem = Assert.Single(Flagger.Model.Validation.CanaryValidator.Validate(canary));
        Assert.Equal("spec.analysis.stepWeight", problem.Path);
        Assert.Null(FlaggerJson.ReadCanary(WalkthroughCanary.V1Beta1Json).ReadError);
    }

    [Fact]
    public void A_timestamp_that_is_not_RFC3339_is_named()
    {
        var error = Assert.Throws<JsonException>(() => FlaggerJson.DeserializeCanary("""{"status":{"lastTransitionTime":"yesterday"}}"""));

        Assert.Contains("RFC 3339", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(WalkthroughCanary.Json)]
    [InlineData("v1beta1")]
    public void Round_trips_without_losing_a_field(string json)
    {
        json = json == "v1beta1" ? WalkthroughCanary.V1Beta1Json : json;
        var once = FlaggerJson.Serialize(FlaggerJson.DeserializeCanary(json));
        var twice = FlaggerJson.Serialize(FlaggerJson.DeserializeCanary(once));

        Assert.Equal(once, twice);
        Assert.Equal(SpecHash.Compute(json), SpecHash.Compute(once));
    }

    [Fact]
    public void Walkthrough_values_override_the_defaults()
    {
        var canary = FlaggerJson.DeserializeCanary(WalkthroughCanary.Json);
        var analysis = canary.Spec.GetAnalysis();

        Assert.Equal(TimeSpan.FromMinutes(1), analysis.GetInterval());
        Assert.Equal(5, analysis.GetThreshold());
        Assert.Equal(50, analysis.GetMaxWeight());
        Assert.Equal("30s", analysis!.Metrics![1].GetInterval());
        Assert.Equal(TimeSpan.FromSeconds(60), canary.Spec.GetProgressDeadline());
        Assert.Equal(DeploymentStrategy.Canary, analysis.GetStrategy());
    }

    [Fact]
    public void Missing_fields_take_Flaggers_defaults()
    {
        var canary = FlaggerJson.DeserializeCanary("""{"spec":{"analysis":{"metrics":[{"name":"request-success-rate"}]}}}""");
        var analysis = canary.Spec.GetAnalysis();

        Assert.Equal(TimeSpan.FromSeconds(60), analysis.GetInterval());
        Assert.Equal(1, analysis.GetThreshold());
        Assert.Equal(100, analysis.GetMaxWeight());
        Assert.Equal("1m", analysis!.Metrics![0].GetInterval());
        Assert.Equal(TimeSpan.FromSeconds(600), canary.Spec.GetProgressDeadline());
        Assert.Equal(100, analysis.GetPrimaryReadyThreshold());
        Assert.Equal(100, analysis.GetCanaryReadyThreshold());
    }

    [Theory]
    [InlineData("1m", 60)]
    [InlineData("30s", 30)]
    [InlineData("10s", 10)]
    [InlineData("5s", 10)]
    [InlineData("0s", 10)]
    [InlineData("soon", 60)]
    [InlineData("", 60)]
    public void Interval_defaults_to_60s_and_is_floored_at_10s(string interval, int seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), new CanaryAnalysis { Interval = interval }.GetInterval());

    [Fact]
    public void A_host_may_lower_the_interval_floor() =>
        Assert.Equal(TimeSpan.FromSeconds(1), new CanaryAnalysis { Interval = "1s" }.GetInterval(TimeSpan.FromMilliseconds(100)));

    [Theory]
    [InlineData(-3, 1)]
    [InlineData(0, 1)]
    [InlineData(1, 1)]
    [InlineData(5, 5)]
    public void Threshold_of_zero_or_less_means_one(int threshold, int expected) =>
        Assert.Equal(expected, new CanaryAnalysis { Threshold = threshold }.GetThreshold());

    [Theory]
    [InlineData(0, null, 100)]
    [InlineData(50, null, 50)]
    [InlineData(50, new[] { 1, 2, 10, 80 }, 80)]
    [InlineData(0, new[] { 5, 150 }, 100)]
    public void Max_weight_is_the_last_step_weight_else_maxWeight_else_100(int maxWeight, int[]? stepWeights, int expected) =>
        Assert.Equal(expected, new CanaryAnalysis { MaxWeight = maxWeight, StepWeights = stepWeights }.GetMaxWeight());

    [Fact]
    public void Ready_thresholds_of_zero_mean_100_percent() =>
        Assert.Equal((100, 100), (new CanaryAnalysis { PrimaryReadyThreshold = 0 }.GetPrimaryReadyThreshold(), ((CanaryAnalysis?)null).GetCanaryReadyThreshold()));

    [Fact]
    public void A_type_mismatch_is_rejected_with_the_json_path()
    {
        var error = Assert.Throws<JsonException>(() => FlaggerJson.DeserializeCanary("""{"spec":{"analysis":{"stepWeight":"ten"}}}"""));

        Assert.Contains("stepWeight", error.Path, StringComparison.Ordinal);
    }
}
