using System.Text.Json.Serialization;
using k8s;
using k8s.Models;

namespace Flagger.Testing.Tests;

/// <summary>Custom resources through the client's GenericClient, as a Flagger provider would use them.</summary>
public sealed class CustomResourceWatchTests
{
    public sealed class Canary : IKubernetesObject<V1ObjectMeta>
    {
        [JsonPropertyName("apiVersion")]
        public string ApiVersion { get; set; } = "flagger.app/v1beta1";

        [JsonPropertyName("kind")]
        public string Kind { get; set; } = "Canary";

        [JsonPropertyName("metadata")]
        public V1ObjectMeta Metadata { get; set; } = new();

        [JsonPropertyName("spec")]
        public Dictionary<string, object>? Spec { get; set; }

        [JsonPropertyName("status")]
        public Dictionary<string, object>? Status { get; set; }
    }

    [Fact]
    public async Task Generic_client_creates_reads_and_watches_canaries()
    {
        await using var cluster = await TestCluster.StartAsync();
        using var client = cluster.CreateClient();
        using var canaries = new GenericClient(client, "flagger.app", "v1beta1", "canaries");

        var seen = new List<(WatchEventType, string?)>();
        var got = new TaskCompletionSource();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestCluster.Ct);
        var watching = Task.Run(async () =>
        {
            await foreach (var (type, canary) in canaries.WatchNamespacedAsync<Canary>("default", onError: e => got.TrySetException(e), stop.Token))
            {
                seen.Add((type, canary.Status?.GetValueOrDefault("phase")?.ToString()));
                if (seen.Count == 2)
                {
                    got.TrySetResult();
                }
            }
        }, TestCluster.Ct);

        var created = await canaries.CreateNamespacedAsync(new Canary
        {
            Metadata = new V1ObjectMeta { Name = "podinfo" },
            Spec = new Dictionary<string, object>
            {
                ["targetRef"] = new Dictionary<string, string> { ["apiVersion"] = "apps/v1", ["kind"] = "Deployment", ["name"] = "podinfo" },
                ["service"] = new Dictionary<string, int> { ["port"] = 9898 },
                ["analysis"] = new Dictionary<string, object> { ["interval"] = "1m", ["stepWeight"] = 10 },
            },
        }, "default", TestCluster.Ct);
        Assert.Equal(1, created.Metadata.Generation);

        await client.CustomObjects.PatchNamespacedCustomObjectStatusAsync(new V1Patch("""{"status":{"phase":"Initialized"}}""", V1Patch.PatchType.MergePatch),
            "flagger.app", "v1beta1", "default", "canaries", "podinfo", cancellationToken: TestCluster.Ct);
        await got.Task.WaitAsync(TimeSpan.FromSeconds(10), TestCluster.Ct);
        await stop.CancelAsync();

        Assert.Equal([(WatchEventType.Added, null), (WatchEventType.Modified, "Initialized")], seen);
        var read = await canaries.ReadNamespacedAsync<Canary>("default", "podinfo", TestCluster.Ct);
        Assert.Equal(1, read.Metadata.Generation);
    }
}
