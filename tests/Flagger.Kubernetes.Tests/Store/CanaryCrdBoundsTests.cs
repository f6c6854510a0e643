using System.Net;
using System.Text.Json.Nodes;
using k8s.Autorest;

namespace Flagger.Kubernetes.Store;

/// <summary>
/// The Canary CRD (the walkthrough's manifest, so the block is <c>canaryAnalysis</c>) refuses durations and counts no timer or loop can hold, before the operator ever reads them: its
/// patterns are anchored at both ends (an unanchored <c>^[0-9]+(m|s)</c> admits <c>1m99999999999999h</c>).
/// </summary>
public sealed class CanaryCrdBoundsTests
{
    [Theory]
    [InlineData("interval", "\"99999999999999m\"", "interval", "should match")]
    [InlineData("interval", "\"1m99999999999999h\"", "interval", "should match")]
    [InlineData("interval", "\"1h\"", "interval", "should match")]
    [InlineData("metrics[0].interval", "\"99999999999999m\"", "metrics[0].interval", "should match")]
    [InlineData("webhooks[0].timeout", "\"99999999999999m\"", "webhooks[0].timeout", "should match")]
    [InlineData("webhooks[0].timeout", "\"10s; rm\"", "webhooks[0].timeout", "should match")]
    [InlineData("webhooks[0].retries", "2147483647", "webhooks[0].retries", "less than or equal to 10")]
    [InlineData("webhooks[0].retries", "-1", "webhooks[0].retries", "greater than or equal to 0")]
    public async Task Refuses_durations_and_counts_beyond_their_bounds(string field, string value, string path, string complaint)
    {
        await using var kube = await KubeCluster.StartAsync();
        await kube.ApplyWalkthroughAsync(hpa: false);

        var refused = await Assert.ThrowsAsync<HttpOperationException>(() => kube.ApplyAsync(Edited(field, value)));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.Response.StatusCode);
        Assert.Contains($"spec.canaryAnalysis.{path}", refused.Response.Content, StringComparison.Ordinal);
        Assert.Contains(complaint, refused.Response.Content, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("interval", "\"1440m\"")]
    [InlineData("interval", "\"1m30s\"")]
    [InlineData("metrics[0].interval", "\"30s\"")]
    [InlineData("webhooks[0].timeout", "\"1h\"")]
    [InlineData("webhooks[0].timeout", "\"500ms\"")]
    [InlineData("webhooks[0].retries", "10")]
    public async Task Admits_the_durations_manifests_use(string field, string value)
    {
        await using var kube = await KubeCluster.StartAsync();
        await kube.ApplyWalkthroughAsync(hpa: false);

        await kube.ApplyAsync(Edited(field, value));

        Assert.NotNull(await kube.CanaryAsync("bounded"));
    }

    private static JsonObject Edited(string field, string value)
    {
        var canary = KubeCluster.YamlToJson(File.ReadAllText(Path.Combine(KubeCluster.RepoRoot, "deploy/artifacts/canaries/canary.yaml")));
        canary["metadata"]!["name"] = "bounded";
        var analysis = (canary["spec"]!["analysis"] ?? canary["spec"]!["canaryAnalysis"])!.AsObject();
        var parts = field.Split('.');
        JsonObject parent = analysis;
        if (parts.Length == 2)
        {
            var list = parts[0][..parts[0].IndexOf('[', StringComparison.Ordinal)];
            parent = analysis[list]![0]!.AsObject();
        }

        parent[parts[^1]] = JsonNode.Parse(value);
        return canary;
    }
}
