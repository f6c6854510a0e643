using Flagger.Testing.Mesh;
using Microsoft.Extensions.Time.Testing;

namespace Flagger.Testing.Tests.Pods;

/// <summary>
/// The pods' shell runs the commands of Flagger's load tester hooks: pipes, lists, exit codes, grep, curl -d,
/// grpc_health_probe, and hey with headers routed by the VirtualService's match rules.
/// </summary>
public sealed class PodShellScriptTests
{
    private const string Workloads = """
        apiVersion: v1
        kind: Namespace
        metadata: {name: test}
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: podinfo, namespace: test}
        spec:
          selector: {matchLabels: {app: podinfo}}
          template:
            metadata: {labels: {app: podinfo}}
            spec:
              containers:
              - name: podinfod
                image: ghcr.io/stefanprodan/podinfo:6.0.3
                command: [./podinfo, --port=9898, --grpc-port=9999]
                ports: [{name: http, containerPort: 9898}, {name: grpc, containerPort: 9999}]
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: podinfo-primary, namespace: test}
        spec:
          selector: {matchLabels: {app: podinfo-primary}}
          template:
            metadata: {labels: {app: podinfo-primary}}
            spec:
              containers: [{name: podinfod, image: ghcr.io/stefanprodan/podinfo:6.0.2}]
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: podinfo-canary, namespace: test}
        spec:
          selector: {app: podinfo}
          ports: [{name: http, port: 80, targetPort: 9898}, {name: grpc, port: 9999, targetPort: 9999}]
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: podinfo-primary, namespace: test}
        spec: {selector: {app: podinfo-primary}, ports: [{name: http, port: 80, targetPort: 9898}]}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: podinfo, namespace: test}
        spec: {selector: {app: podinfo-primary}, ports: [{name: http, port: 80, targetPort: 9898}]}
        ---
        apiVersion: networking.istio.io/v1beta1
        kind: VirtualService
        metadata: {name: podinfo, namespace: test}
        spec:
          hosts: [podinfo]
          http:
          - match:
            - headers:
                cookie: {regex: "^(.*?;)?(type=insider)(;.*)?$"}
            route:
            - {destination: {host: podinfo-primary}, weight: 0}
            - {destination: {host: podinfo-canary}, weight: 100}
          - route:
            - {destination: {host: podinfo-primary}, weight: 100}
            - {destination: {host: podinfo-canary}, weight: 0}
        """;

    [Fact]
    public async Task Pipes_lists_and_exit_codes_behave_as_a_shell_and_an_unknown_command_is_named()
    {
        var (cluster, _, mesh) = await StartAsync();
        await using var _ = cluster;
        using var __ = mesh;

        var token = await cluster.ExecAsync("test", "flagger-loadtester", "curl -sd 'test' http://podinfo-canary/token | grep token", TestCluster.Ct);
        var noMatch = await cluster.ExecAsync("test", "flagger-loadtester", "curl -s http://podinfo-canary/ | grep -q 'no such text'", TestCluster.Ct);
        var lists = await cluster.ExecAsync("test", "flagger-loadtester", "false || echo fallback; true && echo second && false; echo last", TestCluster.Ct);
        var unknown = await cluster.ExecAsync("test", "flagger-loadtester", "kubectl get pods | grep podinfo", TestCluster.Ct);

        Assert.Equal(0, token.ExitCode);
        Assert.Contains("\"token\"", token.Stdout, StringComparison.Ordinal);
        Assert.Equal(1, noMatch.ExitCode);
        Assert.Equal((0, "fallback\nsecond\nlast\n"), (lists.ExitCode, lists.Stdout));
        Assert.Equal(1, unknown.ExitCode);
        Assert.Contains("sh: kubectl: command not found", unknown.Stderr, StringComparison.Ordinal);
        var alone = await cluster.ExecAsync("test", "flagger-loadtester", "kubectl get pods", TestCluster.Ct);
        Assert.Equal(127, alone.ExitCode);
    }

    [Fact]
    public async Task grpc_health_probe_is_serving_only_on_a_port_that_leads_to_a_podinfo_gRPC_port()
    {
        var (cluster, _, mesh) = await StartAsync();
        await using var _ = cluster;
        using var __ = mesh;

        var serving = await cluster.ExecAsync("test", "flagger-loadtester", "grpc_health_probe -connect-timeout=1s -addr=podinfo-canary:9999", TestCluster.Ct);
        var http = await cluster.ExecAsync("test", "flagger-loadtester", "grpc_health_probe -connect-timeout=1s -addr=podinfo-canary:80", TestCluster.Ct);
        var unknown = await cluster.ExecAsync("test", "flagger-loadtester", "grpc_health_probe -addr=missing:9999", TestCluster.Ct);

        Assert.Equal((0, "status: SERVING\n"), (serving.ExitCode, serving.Stdout));
        Assert.Equal((2, "timeout: failed to connect service \"podinfo-canary:80\" within 1s\n"), (http.ExitCode, http.Stderr));
        Assert.Equal(2, unknown.ExitCode);
    }

    [Fact]
    public async Task hey_with_the_insider_cookie_reaches_the_canary_through_the_match_rule_and_without_it_the_primary()
    {
        var (cluster, time, mesh) = await StartAsync();
        await using var _ = cluster;
        using var __ = mesh;

        var insiders = cluster.ExecAsync("test", "flagger-loadtester", "hey -z 1m -q 10 -c 2 -H 'Cookie: type=insider' http://podinfo.test/", TestCluster.Ct);
        var everyone = cluster.ExecAsync("test", "flagger-loadtester", "hey -z 1m -q 5 -c 1 -m GET http://podinfo.test/", TestCluster.Ct);
        for (var i = 0; i < 12; i++)
        {
            time.Advance(TimeSpan.FromSeconds(5));
        }

        var (insiderRun, everyoneRun) = (await insiders, await everyone);
        var canary = mesh.Increase("test", "podinfo", TimeSpan.FromMinutes(2))!;
        var primary = mesh.Increase("test", "podinfo-primary", TimeSpan.FromMinutes(2))!;

        Assert.Equal(0, insiderRun.ExitCode);
        Assert.Contains("Requests/sec:\t20.0000", insiderRun.Stdout, StringComparison.Ordinal);
        Assert.Equal(0, everyoneRun.ExitCode);
        Assert.Equal(20 * 55, canary.Total, 0);
        Assert.Equal(5 * 55, primary.Total, 0);
    }

    private static async Task<(EmbeddedCluster Cluster, FakeTimeProvider Time, SimulatedMesh Mesh)> StartAsync()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 16, 14, 0, 0, TimeSpan.Zero));
        var cluster = await TestCluster.StartAsync(time);
        cluster.Apply(Workloads);
        time.Advance(TimeSpan.FromSeconds(2));
        await cluster.WaitForControllersAsync(TestCluster.Ct);
        return (cluster, time, SimulatedMesh.Start(cluster));
    }
}
