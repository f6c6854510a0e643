using k8s;
using k8s.Models;

namespace Flagger.Demo.Tests;

/// <summary>Traffic exists only when something sends it: the load tester must be reachable, and without load there are no metrics.</summary>
public sealed class TrafficTests
{
    [Fact]
    public async Task Without_its_Service_the_load_tester_is_unreachable_and_without_load_the_canary_halts_with_no_values()
    {
        using var output = new StringWriter();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        stop.CancelAfter(TimeSpan.FromSeconds(60));
        var (options, _) = DemoOptions.Parse(["--speed", "100"]);
        await using var environment = await DemoEnvironment.StartAsync(options!, output, stop.Token);
        var artifacts = Path.Combine(AppContext.BaseDirectory, "artifacts");
        foreach (var file in new[] { "namespaces/test.yaml", "canaries/deployment.yaml", "canaries/hpa.yaml", "loadtester/deployment.yaml", "canaries/canary.yaml" })
        {
            environment.Cluster.ApplyPath(Path.Combine(artifacts, file), "test");
        }

        await WaitForEventAsync(environment, "Initialization done! podinfo.test", 0, stop.Token);
        await environment.Client.AppsV1.PatchNamespacedDeploymentAsync(
            new V1Patch("""{"spec":{"template":{"spec":{"containers":[{"name":"podinfod","image":"quay.io/stefanprodan/podinfo:1.4.1"}]}}}}""", V1Patch.PatchType.StrategicMergePatch),
            "podinfo", "test", cancellationToken: stop.Token);

        // No flagger-loadtester Service: the webhook's host does not resolve, as cluster DNS would answer.
        var unreachable = await WaitForEventAsync(environment, "Halt podinfo.test advancement external check load-test failed Post \"http://flagger-loadtester.test/\": dial tcp: lookup flagger-loadtester.test: no such host", 0, stop.Token);

        // Without the load test nothing sends requests to the canary, so its metrics have no values.
        environment.Cluster.Apply("""
            apiVersion: flagger.app/v1alpha3
            kind: Canary
            metadata: {name: podinfo, namespace: test}
            spec:
              canaryAnalysis:
                webhooks: []
            """);
        // The demo's Prometheus (started when installed) says why; the simulator (--prometheus off) says no more than the first part.
        var noValues = "Halt advancement no values found for istio metric request-success-rate probably podinfo.test is not receiving traffic";
        await WaitForEventAsync(environment, environment.Prometheus is null ? noValues : noValues + ": running query failed: no values found", unreachable + 1, stop.Token);
        Assert.Equal(0, environment.Mesh.Counters().Where(c => c.Workload == "podinfo").Sum(c => c.Total));
    }

    /// <summary>Waits for an event with exactly <paramref name="message"/> at or after <paramref name="from"/>; returns its position.</summary>
    private static async Task<int> WaitForEventAsync(DemoEnvironment environment, string message, int from, CancellationToken cancellationToken)
    {
        var deadline = environment.Time.GetUtcNow() + TimeSpan.FromMinutes(20);
        while (true)
        {
            Assert.True(environment.Time.GetUtcNow() < deadline, $"no '{message}' after event {from} within 20 simulated minutes:\n{string.Join('\n', environment.Timeline.Entries.Select(e => e.Message))}");
            var entries = environment.Timeline.Entries;
            for (var i = from; i < entries.Count; i++)
            {
                if (entries[i].Message == message)
                {
                    return i;
                }
            }

            await Task.Delay(TimeSpan.FromSeconds(1), environment.Time, cancellationToken);
        }
    }
}
