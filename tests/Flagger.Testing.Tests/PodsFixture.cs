using Microsoft.Extensions.Time.Testing;

namespace Flagger.Testing.Tests;

/// <summary>
/// A test cluster with the walkthrough's pods: the <c>tester</c> pod (started by <c>kubectl run</c>), a
/// podinfo Deployment behind <c>podinfo-canary</c>, and a Service with no pods behind it.
/// </summary>
internal static class PodsFixture
{
    public const string Workloads = """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: podinfo, namespace: test}
        spec:
          selector: {matchLabels: {app: podinfo}}
          template:
            metadata: {labels: {app: podinfo}}
            spec:
              containers: [{name: podinfod, image: ghcr.io/stefanprodan/podinfo:6.0.1}]
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: podinfo-canary, namespace: test}
        spec:
          selector: {app: podinfo}
          ports: [{name: http, port: 9898}]
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: nothing-behind, namespace: test}
        spec:
          selector: {app: nothing}
          ports: [{port: 80}]
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: tester, namespace: test}
        spec:
          containers: [{name: tester, image: ghcr.io/stefanprodan/podinfo:6.0.1, args: [./podinfo, --port=9898]}]
        """;

    public static async Task<(EmbeddedCluster Cluster, FakeTimeProvider Time)> StartAsync()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 16, 14, 0, 0, TimeSpan.Zero));
        var cluster = await TestCluster.StartAsync(time, crds: false);
        cluster.Apply("apiVersion: v1\nkind: Namespace\nmetadata: {name: test}\n");
        cluster.Apply(Workloads);
        await cluster.WaitForControllersAsync(TestCluster.Ct);
        time.Advance(cluster.Options.RolloutDelay);
        await cluster.WaitForControllersAsync(TestCluster.Ct);
        return (cluster, time);
    }
}
