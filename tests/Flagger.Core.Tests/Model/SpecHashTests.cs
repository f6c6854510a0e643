using Flagger.Model;

namespace Flagger.Tests.Model;

public sealed class SpecHashTests
{
    private const string PodTemplate = """{"spec":{"containers":[{"name":"podinfo","image":"podinfo:3.1.0","ports":[{"containerPort":9898}]}]},"metadata":{"labels":{"app":"podinfo"}}}""";
    private const string SamePodTemplateReordered = """{"metadata":{"labels":{"app":"podinfo"}},"spec":{"containers":[{"ports":[{"containerPort":9898}],"image":"podinfo:3.1.0","name":"podinfo"}]}}""";

    [Fact]
    public void Key_order_does_not_change_the_hash() =>
        Assert.Equal(SpecHash.Compute(PodTemplate), SpecHash.Compute(SamePodTemplateReordered));

    [Fact]
    public void Null_fields_do_not_change_the_hash() =>
        Assert.Equal(SpecHash.Compute(PodTemplate), SpecHash.Compute(PodTemplate.Replace("{\"spec\"", "{\"status\":null,\"spec\"", StringComparison.Ordinal)));

    [Theory]
    [InlineData("podinfo:3.1.1")]
    [InlineData("podinfo:3.1.0 ")]
    public void A_different_value_changes_the_hash(string image) =>
        Assert.NotEqual(SpecHash.Compute(PodTemplate), SpecHash.Compute(PodTemplate.Replace("podinfo:3.1.0", image, StringComparison.Ordinal)));

    [Fact]
    public void Array_order_changes_the_hash() =>
        Assert.NotEqual(SpecHash.Compute("""{"args":["a","b"]}"""), SpecHash.Compute("""{"args":["b","a"]}"""));

    [Fact]
    public void The_hash_is_stable_across_runs_and_uses_the_safe_alphabet()
    {
        // A fixed expectation: a hash computed by another process or release must match this one.
        var hash = SpecHash.Compute("""{"a":1}""");

        Assert.Equal("b9d79df99", hash);
        Assert.Equal(hash, SpecHash.Compute("""{ "a" : 1 }"""));
        Assert.Matches("^[bcdfghjklmnpqrstvwxz2456789]+$", hash);
    }

    [Fact]
    public void Config_checksum_is_16_hex_characters_and_ignores_key_order()
    {
        var checksum = SpecHash.ComputeConfigChecksum(new Dictionary<string, string> { ["a"] = "1", ["b"] = "2" });

        Assert.Matches("^[0-9a-f]{16}$", checksum);
        Assert.Equal(checksum, SpecHash.ComputeConfigChecksum(new Dictionary<string, string> { ["b"] = "2", ["a"] = "1" }));
        Assert.NotEqual(checksum, SpecHash.ComputeConfigChecksum(new Dictionary<string, string> { ["a"] = "1", ["b"] = "3" }));
    }

    [Fact]
    public void Webhook_checksum_follows_the_revision_and_tracked_configs()
    {
        var status = new CanaryStatus { LastAppliedSpec = "abc", TrackedConfigs = new Dictionary<string, string> { ["configmap/x"] = "1" } };

        var checksum = SpecHash.ComputeChecksum(status);

        Assert.Equal(checksum, SpecHash.ComputeChecksum(status with { }));
        Assert.NotEqual(checksum, SpecHash.ComputeChecksum(status with { LastAppliedSpec = "abd" }));
        Assert.NotEqual(checksum, SpecHash.ComputeChecksum(status with { TrackedConfigs = new Dictionary<string, string> { ["configmap/x"] = "2" } }));
        Assert.Equal(SpecHash.ComputeChecksum(null), SpecHash.ComputeChecksum(new CanaryStatus()));
    }
}
