using System.Text.Json.Nodes;
using Flagger.Istio.Model;
using Flagger.Routing;
using k8s;

namespace Flagger.Istio.Tests;

public sealed class IstioSpecsTests
{
    [Theory]
    [InlineData(null, "podinfo")]
    [InlineData("""["app.example.com"]""", "app.example.com,podinfo")]
    [InlineData("""["podinfo","app.example.com"]""", "podinfo,app.example.com")]
    [InlineData("""["*"]""", "*")]
    public void Apex_host_is_appended_unless_present_or_wildcard(string? hosts, string expected)
    {
        var canary = Canaries.Walkthrough("test", c => c.Service()["hosts"] = hosts is null ? null : JsonNode.Parse(hosts));

        var spec = IstioSpecs.VirtualService(canary, TrafficRoutes.AllToPrimary);

        Assert.Equal(expected, string.Join(",", spec.Hosts!));
    }

    [Fact]
    public void Gateways_default_to_the_mesh()
    {
        var canary = Canaries.Walkthrough("test", c => c.Service().Remove("gateways"));

        Assert.Equal(["mesh"], IstioSpecs.VirtualService(canary, TrafficRoutes.AllToPrimary).Gateways!);
    }

    [Fact]
    public void The_service_name_overrides_the_target_name()
    {
        var canary = Canaries.Walkthrough("test", c => c.Service()["name"] = "frontend");

        var spec = IstioSpecs.VirtualService(canary, new TrafficRoutes(90, 10));

        Assert.Contains("frontend", spec.Hosts!);
        Assert.Equal(["frontend-primary", "frontend-canary"], spec.Http![0].Route!.Select(r => r.Destination!.Host!));
    }

    [Fact]
    public void A_B_conditions_without_a_service_match_are_used_as_written()
    {
        var canary = Canaries.ABTesting("test");
        canary = canary with { Spec = canary.Spec with { Service = canary.Spec.Service! with { Match = null } } };

        var spec = IstioSpecs.VirtualService(canary, TrafficRoutes.AllToCanary);

        Assert.Equal(2, spec.Http![0].Match!.Value.GetArrayLength());
        Assert.Null(spec.Http[1].Match);
        Assert.Equal(100, spec.Http[1].Route!.Single().Weight);
    }

    [Fact]
    public void Mirror_percentage_is_left_out_when_mirrorWeight_is_zero()
    {
        var canary = Canaries.Walkthrough("test", c => c.Analysis()["mirror"] = true);

        var route = IstioSpecs.VirtualService(canary, TrafficRoutes.AllToPrimary with { Mirrored = true }).Http![0];

        Assert.Equal("podinfo-canary", route.Mirror!.Host);
        Assert.Null(route.MirrorPercentage);
    }

    [Theory]
    [InlineData("""{"http":[{"route":[{"destination":{"host":"podinfo"}}]}]}""", "VirtualService podinfo.test has no http route to podinfo-canary; was it edited by hand?")]
    [InlineData("""{"http":[{"route":[{"destination":{"host":"podinfo-primary"},"weight":50},{"destination":{"host":"podinfo-canary"},"weight":40},{"destination":{"host":"podinfo-v3"},"weight":10}]}]}""", "VirtualService podinfo.test also routes to podinfo-v3 besides podinfo-primary and podinfo-canary; was it edited by hand?")]
    [InlineData("""{"http":[{"route":[{"destination":{"host":"podinfo-primary"}},{"destination":{"host":"podinfo-canary"}}]}]}""", "VirtualService podinfo.test routes 0% to podinfo-primary and 0% to podinfo-canary, which does not add up to 100%; was it edited by hand?")]
    public void Routes_that_Flagger_did_not_write_are_reported(string spec, string problem)
    {
        var (_, error) = IstioSpecs.ReadRoutes(Canaries.Walkthrough("test"), KubernetesJson.Deserialize<VirtualServiceSpec>(spec));

        Assert.StartsWith(problem, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Only_the_split_may_differ_for_a_spec_to_be_current()
    {
        var canary = Canaries.Walkthrough("test");
        var initial = IstioSpecs.VirtualService(canary, TrafficRoutes.AllToPrimary);
        var shifted = IstioSpecs.VirtualService(canary, new TrafficRoutes(40, 60, Mirrored: true));
        var other = IstioSpecs.VirtualService(canary with { Spec = canary.Spec with { Service = canary.Spec.Service! with { Timeout = "1s" } } }, TrafficRoutes.AllToPrimary);

        Assert.False(IstioSpecs.DiffersBeyondTraffic(initial, shifted));
        Assert.True(IstioSpecs.DiffersBeyondTraffic(initial, other));
    }

    [Fact]
    public void Unknown_fields_survive_a_read_and_write()
    {
        const string Json = """{"hosts":["a"],"exportTo":["."],"http":[{"name":"x","fault":{"abort":{"httpStatus":500}},"route":[{"destination":{"host":"a","subset":"v1"},"headers":{"request":{"set":{"a":"b"}}}}]}]}""";

        var spec = KubernetesJson.Deserialize<VirtualServiceSpec>(Json);

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(Json), JsonNode.Parse(KubernetesJson.Serialize(spec))));
    }
}
