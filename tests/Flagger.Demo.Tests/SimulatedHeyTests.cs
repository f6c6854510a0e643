namespace Flagger.Demo.Tests;

public sealed class SimulatedHeyTests
{
    [Fact]
    public void The_walkthrough_load_test_is_q_times_c_requests_a_second_for_the_z_duration()
    {
        Assert.True(SimulatedHey.TryParse("hey -z 1m -q 10 -c 2 http://podinfo-canary.test:9898/", out var load, out _));

        Assert.Equal(new Uri("http://podinfo-canary.test:9898/"), load.Url);
        Assert.Equal(20, load.RequestsPerSecond);
        Assert.Equal(TimeSpan.FromMinutes(1), load.Duration);
    }

    [Fact]
    public void A_request_count_without_a_duration_lasts_as_long_as_the_rate_needs()
    {
        Assert.True(SimulatedHey.TryParse("hey -n 100 -c 5 -q 2 -disable-keepalive -m GET http://podinfo.test:9898/", out var load, out _));

        Assert.Equal(10, load.RequestsPerSecond);
        Assert.Equal(TimeSpan.FromSeconds(10), load.Duration);
    }

    [Fact]
    public void Commands_other_than_hey_are_refused_with_the_reason()
    {
        Assert.False(SimulatedHey.TryParse("curl -sd 'test' http://podinfo-canary.test:9898/token", out _, out var error));

        Assert.Contains("only simulates hey", error, StringComparison.Ordinal);
    }
}
