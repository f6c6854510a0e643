using Flagger.Testing.Mesh;

namespace Flagger.Testing.Tests.Mesh;

public sealed class MeshHeyTests
{
    [Fact]
    public void Hey_host_sends_the_load_through_a_gateway_with_that_Host_header()
    {
        Assert.True(MeshHey.TryParse(["-z", "1m", "-q", "10", "-c", "2", "-host", "www.example.com", "http://gateway-istio.istio-ingress/"], out var load, out _));

        Assert.Equal(new Uri("http://gateway-istio.istio-ingress/"), load.Url);
        Assert.Equal("www.example.com", load.Host);
        Assert.Equal(20, load.RequestsPerSecond);
        Assert.Equal(TimeSpan.FromMinutes(1), load.Duration);
    }

    [Fact]
    public void Headers_and_method_travel_with_the_request_and_no_host_means_plain_routing()
    {
        Assert.True(MeshHey.TryParse(["-z", "10s", "-q", "5", "-c", "1", "-m", "post", "-H", "Cookie: type=insider", "http://podinfo-canary.test:9898/api/echo"], out var load, out _));

        Assert.Null(load.Host);
        Assert.Equal(("POST", "/api/echo", "type=insider"), (load.Request.Method, load.Request.Path, load.Request.Headers["cookie"]));
    }
}
