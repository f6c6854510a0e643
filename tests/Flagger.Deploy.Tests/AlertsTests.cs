namespace Flagger.Deploy.Tests;

/// <summary>deploy/alerts, checked and unit-tested by the real promtool (Debian's prometheus package).</summary>
public sealed class AlertsTests
{
    [Fact]
    public async Task Promtool_accepts_the_rules_file()
    {
        var output = await Tool.RunAsync("promtool", "check", "rules", "deploy/alerts/flagger.rules.yaml");

        Assert.Contains("SUCCESS: 1 rules found", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Canary_rollback_fires_for_a_failed_canary_after_one_minute_and_never_for_a_succeeded_one()
    {
        // deploy/alerts/flagger.rules.test.yaml: a canary that fails at 2m alerts at 3m (for: 1m); Succeeded (1) never does.
        var output = await Tool.RunAsync("promtool", "test", "rules", "deploy/alerts/flagger.rules.test.yaml");

        Assert.Contains("SUCCESS", output, StringComparison.Ordinal);
    }

    [Fact]
    public void The_rule_is_the_walkthroughs()
    {
        var rule = Assert.Single(Yaml.Single(Repo.Read("deploy/alerts/flagger.rules.yaml"))["groups"]![0]!["rules"]!.AsArray())!;

        Assert.Equal("canary_rollback", rule["alert"].Text());
        Assert.Equal("flagger_canary_status > 1", rule["expr"].Text());
        Assert.Equal("1m", rule["for"].Text());
        Assert.Equal("warning", rule["labels"]!["severity"].Text());
        Assert.Equal("Canary failed", rule["annotations"]!["summary"].Text());
    }

    [Fact]
    public void The_prometheus_rule_resource_carries_the_same_groups_as_the_rules_file()
    {
        var rulesFile = Yaml.Single(Repo.Read("deploy/alerts/flagger.rules.yaml"));
        var resource = Yaml.Single(Repo.Read("deploy/alerts/prometheusrule.yaml"));

        Assert.Equal(("monitoring.coreos.com/v1", "PrometheusRule"), (resource["apiVersion"].Text(), resource["kind"].Text()));
        Assert.Equal(rulesFile["groups"]!.ToJsonString(), resource["spec"]!["groups"]!.ToJsonString());
    }
}
