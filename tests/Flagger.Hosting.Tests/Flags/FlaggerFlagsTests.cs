using System.Collections;

namespace Flagger.Hosting.Flags;

public sealed class FlaggerFlagsTests
{
    [Fact]
    public void Reads_flaggers_flags_in_single_and_double_dash_forms()
    {
        var flags = FlaggerFlags.Parse(["-mesh-provider", "istio", "--metrics-server=http://prometheus.istio-system:9090", "-enable-leader-election", "--port", "9090", "-slack-channel=general"]);

        Assert.Empty(flags.Errors);
        Assert.Equal("istio", flags["mesh-provider"]);
        Assert.Equal("http://prometheus.istio-system:9090", flags["metrics-server"]);
        Assert.True(flags.IsSet("enable-leader-election"));
        Assert.False(flags.IsSet("no-cross-namespace-refs"));
        Assert.True(flags.IsSet("enable-config-tracking", defaultValue: true));
        Assert.Equal(9090, flags.Int("port", 8080));
        Assert.Equal("general", flags["slack-channel"]);
    }

    [Fact]
    public void Environment_wins_for_the_secrets_flagger_reads_from_it()
    {
        var environment = new Hashtable { ["SLACK_URL"] = "https://hooks.example/env", ["EVENT_WEBHOOK_URL"] = "http://events/" };

        var flags = FlaggerFlags.Parse(["--slack-url", "https://hooks.example/flag"], environment);

        Assert.Equal("https://hooks.example/env", flags["slack-url"]);
        Assert.Equal("http://events/", flags["event-webhook"]);
    }

    [Fact]
    public void Every_problem_is_reported_with_its_flag()
    {
        var flags = FlaggerFlags.Parse(["--mesh", "istio", "--port", "eighty", "--log-level", "loud", "--enable-leader-election=maybe", "--namespace"]);

        Assert.Equal(
            [
                "--mesh: unknown flag; see --help",
                "istio: unexpected argument; flags look like -name value or --name=value",
                "--enable-leader-election: must be true or false, got 'maybe'",
                "--namespace: needs a value",
                "--port: must be a number, got 'eighty'",
                "--log-level: must be debug, info, warning or error, got 'loud'",
            ],
            flags.Errors);
    }

    [Fact]
    public void Help_lists_every_flag() =>
        Assert.All(FlaggerFlags.Known.Keys, flag => Assert.Contains($"--{flag}", FlaggerFlags.Help(), StringComparison.Ordinal));
}
