using System.Net.Http.Json;
using Flagger.Model;
using Flagger.Notifications;
using Flagger.Testing.Dns;
using Flagger.Testing.Receivers;
using Flagger.Webhooks;
using Microsoft.Extensions.DependencyInjection;

namespace Flagger.Testing.Tests.Dns;

/// <summary>Cluster DNS for the operator: Service names reach the in-process apps serving behind them.</summary>
public sealed class ClusterDnsTests
{
    private const string Services = """
        apiVersion: v1
        kind: Namespace
        metadata: {name: test}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: flagger-loadtester, namespace: test}
        spec: {selector: {app: flagger-loadtester}, ports: [{name: http, port: 80, targetPort: 8080}]}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: nothing-behind, namespace: test}
        spec: {selector: {app: nothing}, ports: [{port: 80}]}
        """;

    [Fact]
    public async Task Every_form_of_a_Service_name_reaches_the_app_served_behind_it_and_other_hosts_use_real_DNS()
    {
        await using var cluster = await TestCluster.StartAsync(crds: false);
        cluster.Apply(Services);
        await using var loadTester = await RecordingReceiver.StartAsync(TestCluster.Ct);
        using var served = cluster.Dns.Serve("test", "flagger-loadtester", new Uri(loadTester.Address));
        using var http = new HttpClient(new ClusterDnsHandler(cluster.Dns, "test") { InnerHandler = new SocketsHttpHandler() });

        foreach (var url in new[] { "http://flagger-loadtester.test/a", "http://flagger-loadtester.test.svc/b", "http://flagger-loadtester.test.svc.cluster.local:80/c", "http://flagger-loadtester/d" })
        {
            using var response = await http.GetAsync(new Uri(url), TestCluster.Ct);
            response.EnsureSuccessStatusCode();
        }

        using var direct = await http.GetAsync(loadTester.Url("/e"), TestCluster.Ct);

        Assert.Equal(["/a", "/b", "/c", "/d", "/e"], loadTester.Requests.Select(r => r.Path));
        var missing = await Assert.ThrowsAsync<HttpRequestException>(() => http.GetAsync(new Uri("http://prometheus.test:9090/"), TestCluster.Ct));
        Assert.Equal("Name or service not known (prometheus.test:9090)", missing.Message);
        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => http.GetAsync(new Uri("http://nothing-behind.test/"), TestCluster.Ct));
        Assert.StartsWith("Connection refused", refused.Message, StringComparison.Ordinal);
        var fromPod = await cluster.ExecAsync("test", "tester", "curl -s http://flagger-loadtester/f && echo", TestCluster.Ct);
        Assert.Equal(0, fromPod.ExitCode);
        Assert.Equal("/f", loadTester.Requests[^1].Path);
        Assert.False(cluster.Dns.IsClusterName("hooks.example.com", "test"));
        Assert.False(cluster.Dns.IsClusterName("example.com", "test"));
    }

    [Fact]
    public async Task An_operator_composed_with_AddEmbeddedClusterDns_reaches_Services_from_factory_clients_webhooks_and_alerts()
    {
        await using var cluster = await TestCluster.StartAsync(crds: false);
        cluster.Apply(Services);
        await using var app = await RecordingReceiver.StartAsync(TestCluster.Ct);
        using var served = cluster.Dns.Serve("test", "flagger-loadtester", new Uri(app.Address));
        var services = new ServiceCollection();
        services.AddHttpClient("metrics");
        services.AddSingleton<IWebhookClient, PostingWebhookClient>();
        services.AddKeyedSingleton<INotifierFactory, PostingNotifierFactory>("slack");
        services.AddEmbeddedClusterDns(cluster.Dns, "istio-system");
        await using var provider = services.BuildServiceProvider();

        var metrics = provider.GetRequiredService<IHttpClientFactory>().CreateClient("metrics");
        using var query = await metrics.GetAsync(new Uri("http://flagger-loadtester.test/api/v1/query?query=up"), TestCluster.Ct);
        var hook = await provider.GetRequiredService<IWebhookClient>().CallAsync(
            new CanaryWebhook { Name = "load-test", Url = "http://flagger-loadtester.test.svc.cluster.local/" },
            new WebhookPayload { Name = "podinfo", Namespace = "test", Phase = "Progressing" },
            TestCluster.Ct);
        var unknown = await provider.GetRequiredService<IWebhookClient>().CallAsync(
            new CanaryWebhook { Name = "gate", Url = "http://missing.test/gate/check" },
            new WebhookPayload { Name = "podinfo", Namespace = "test", Phase = "Progressing" },
            TestCluster.Ct);
        var notifier = provider.GetRequiredKeyedService<INotifierFactory>("slack").Create(new NotifierSettings { Type = "slack", Address = "http://flagger-loadtester.test/hooks/slack" });
        await notifier.PostAsync(new Notification("podinfo", "test", "promoted", [], AlertSeverity.Info), TestCluster.Ct);

        Assert.True(query.IsSuccessStatusCode);
        Assert.True(hook.Succeeded, hook.Error);
        Assert.False(unknown.Succeeded);
        Assert.Equal("Post \"http://missing.test/gate/check\": dial tcp: lookup missing.test: no such host", unknown.Error);
        Assert.Equal(["/api/v1/query", "/", "/hooks/slack"], app.Requests.Select(r => r.Path));
    }

    /// <summary>A webhook client as the operator's: POSTs the payload to the hook's URL.</summary>
    private sealed class PostingWebhookClient : IWebhookClient, IDisposable
    {
        private readonly HttpClient http = new();

        public async Task<WebhookResult> CallAsync(CanaryWebhook webhook, WebhookPayload payload, CancellationToken cancellationToken)
        {
            using var response = await http.PostAsJsonAsync(new Uri(webhook.Url!), payload, cancellationToken);
            return response.IsSuccessStatusCode ? WebhookResult.Success : WebhookResult.Failure(response.ReasonPhrase ?? "");
        }

        public void Dispose() => http.Dispose();
    }

    /// <summary>A notifier factory as a chat provider's: POSTs to the AlertProvider's address.</summary>
    private sealed class PostingNotifierFactory : INotifierFactory
    {
        public INotifier Create(NotifierSettings settings) => new Poster(new Uri(settings.Address));

        private sealed class Poster(Uri address) : INotifier
        {
            public async Task PostAsync(Notification notification, CancellationToken cancellationToken)
            {
                using var http = new HttpClient();
                using var response = await http.PostAsJsonAsync(address, new { text = notification.Message }, cancellationToken);
                response.EnsureSuccessStatusCode();
            }
        }
    }
}
