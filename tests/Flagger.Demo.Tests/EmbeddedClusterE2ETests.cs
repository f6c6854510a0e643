using k8s;
using k8s.Models;
using Flagger.Testing.Receivers;

namespace Flagger.Demo.Tests;

/// <summary>
/// What Flagger's own end-to-end manifests need from the demo's cluster: a MetricTemplate with its own PromQL at
/// <c>http://prometheus.istio-system:9090</c> (a real Prometheus through cluster DNS), a Slack AlertProvider naming a
/// Service, and the operator in the namespace a Helm release would put it in. Needs the <c>prometheus</c> executable.
/// </summary>
public sealed class EmbeddedClusterE2ETests
{
    private const string Manifests = """
        apiVersion: flagger.app/v1beta1
        kind: MetricTemplate
        metadata: {name: latency, namespace: istio-system}
        spec:
          provider: {type: prometheus, address: "http://prometheus.istio-system:9090"}
          query: |
            histogram_quantile(0.99, sum(rate(istio_request_duration_milliseconds_bucket{
              reporter="destination", destination_workload_namespace="{{ namespace }}", destination_workload=~"{{ target }}"
            }[{{ interval }}])) by (le))
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: chat, namespace: test}
        spec: {selector: {app: chat}, ports: [{port: 80}]}
        ---
        apiVersion: flagger.app/v1beta1
        kind: AlertProvider
        metadata: {name: on-call, namespace: test}
        spec: {type: slack, channel: on-call, address: "http://chat.test/hooks/slack"}
        ---
        apiVersion: flagger.app/v1beta1
        kind: Canary
        metadata: {name: podinfo, namespace: test}
        spec:
          targetRef: {apiVersion: apps/v1, kind: Deployment, name: podinfo}
          progressDeadlineSeconds: 60
          service: {port: 9898}
          analysis:
            interval: 30s
            threshold: 5
            maxWeight: 20
            stepWeight: 10
            metrics:
            - {name: request-success-rate, thresholdRange: {min: 99}, interval: 1m}
            - name: latency
              templateRef: {name: latency, namespace: istio-system}
              thresholdRange: {max: 500}
              interval: 1m
            alerts:
            - {name: on-call, severity: info, providerRef: {name: on-call}}
            webhooks:
            - name: http-acceptance-test
              type: pre-rollout
              url: http://flagger-loadtester.test/
              timeout: 30s
              metadata: {type: bash, cmd: "curl -sd 'test' http://podinfo-canary.test:9898/token | grep token", logCmdOutput: "true"}
            - name: load-test
              url: http://flagger-loadtester.test/
              timeout: 5s
              metadata: {type: cmd, cmd: "hey -z 10m -q 10 -c 2 http://podinfo-canary.test:9898/"}
        """;

    [Fact]
    public async Task A_latency_MetricTemplate_and_a_slack_AlertProvider_work_with_the_operator_in_flagger_system()
    {
        using var output = new StringWriter();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        stop.CancelAfter(TimeSpan.FromSeconds(180));
        var (options, errors) = DemoOptions.Parse(["--speed", "25", "--operator-namespace", "flagger-system"]);
        Assert.Empty(errors);
        await using var environment = await DemoEnvironment.StartAsync(options!, output, stop.Token);
        Assert.True(environment.Prometheus is not null, "prometheus is not installed: apt-get install prometheus");
        await using var chat = await RecordingReceiver.StartAsync(stop.Token);
        using var served = environment.Cluster.Dns.Serve("test", "chat", new Uri(chat.Address));
        var artifacts = Path.Combine(AppContext.BaseDirectory, "artifacts");
        foreach (var file in new[] { "namespaces/test.yaml", "canaries/deployment.yaml", "loadtester/deployment.yaml", "loadtester/service.yaml" })
        {
            environment.Cluster.ApplyPath(Path.Combine(artifacts, file), "test");
        }

        environment.Cluster.Apply(Manifests);
        await WaitForAsync(environment, "Initialization done! podinfo.test", stop.Token);
        await environment.Client.AppsV1.PatchNamespacedDeploymentAsync(
            new V1Patch("""{"spec":{"template":{"spec":{"containers":[{"name":"podinfod","image":"quay.io/stefanprodan/podinfo:1.4.1"}]}}}}""", V1Patch.PatchType.StrategicMergePatch),
            "podinfo", "test", cancellationToken: stop.Token);
        await WaitForAsync(environment, "Promotion completed! Scaling down podinfo.test", stop.Token);

        var messages = environment.Timeline.Entries.Select(e => e.Message).ToList();
        Assert.DoesNotContain(messages, m => m.Contains("latency", StringComparison.Ordinal) && m.Contains("failed", StringComparison.Ordinal));
        Assert.Contains(chat.At("/hooks/slack"), r => r.Body.Contains("podinfo.test", StringComparison.Ordinal));
        var loadTester = (await environment.Client.CoreV1.ListNamespacedPodAsync("test", labelSelector: "app=flagger-loadtester", cancellationToken: stop.Token)).Items[0];
        var log = await new StreamReader(await environment.Client.CoreV1.ReadNamespacedPodLogAsync(loadTester.Name(), "test", cancellationToken: stop.Token)).ReadToEndAsync(stop.Token);
        Assert.Contains("\\\"token\\\"", log, StringComparison.Ordinal);
        var flagger = await environment.Client.AppsV1.ReadNamespacedDeploymentAsync("flagger", "flagger-system", cancellationToken: stop.Token);
        Assert.Equal("flagger", flagger.Name());
        var metrics = await environment.Cluster.ExecAsync("test", "tester", "curl -s http://flagger.flagger-system:8080/metrics | grep flagger_canary_status", stop.Token);
        Assert.True(metrics.ExitCode == 0, metrics.Stdout + metrics.Stderr);
        Assert.Contains("podinfo", metrics.Stdout, StringComparison.Ordinal);
    }

    private static async Task WaitForAsync(DemoEnvironment environment, string message, CancellationToken cancellationToken)
    {
        while (!environment.Timeline.Entries.Any(e => e.Message == message))
        {
            Assert.False(cancellationToken.IsCancellationRequested, $"no '{message}':\n{string.Join('\n', environment.Timeline.Entries.Select(e => e.Message))}");
            await Task.Delay(TimeSpan.FromSeconds(1), environment.Time, CancellationToken.None);
        }
    }
}
