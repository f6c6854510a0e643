using Flagger.Analysis;
using Flagger.Hosting;
using Flagger.Istio;
using Flagger.Notifications;
using Flagger.Prometheus;
using Flagger.Providers;
using Flagger.Webhooks;
using Microsoft.Extensions.DependencyInjection;

namespace ConsumerCheck;

/// <summary>The README's snippets, compiled and run by this check.</summary>
public static class Snippets
{
    public static FlaggerEngineBuilder RunTheOperator(IServiceCollection services)
    {
        // begin-snippet: running-the-operator
        var flagger = services.AddFlagger(o =>
            {
                o.MeshProvider = "istio";                              // -mesh-provider
                o.MetricsServer = "http://prometheus.istio-system:9090"; // -metrics-server
            })
            .AddKubernetes(o => o.EnableConfigTracking = true)         // -enable-config-tracking
            .AddIstio()
            .AddPrometheus()
            .AddNotifications()                                        // AlertProvider types slack, msteams, ...
            .AddEventForwarding();                                     // JSON log line per event, -event-webhook
        // end-snippet
        return flagger;
    }

    public static void AddTeamProviders(FlaggerEngineBuilder flagger)
    {
        // begin-snippet: registering-a-provider
        flagger.AddMetricsProvider<ErrorBudgetMetrics>("error-budget") // MetricTemplate spec.provider.type
               .AddNotifier<TeamChatNotifier>("team-chat");            // AlertProvider spec.type
        // end-snippet
    }

    public static async Task<TickReport> EmbedTheEngineAsync(IServiceCollection services, CancellationToken cancellationToken)
    {
        // begin-snippet: embedding-the-engine
        services.AddSingleton<IWebhookClient, NoWebhooks>();           // or your own HTTP client
        services.AddFlaggerEngine(o => o.MeshProvider = "istio")
            .AddKubernetes()                                           // targets, Services, Canary store, events
            .AddIstio()
            .AddMetricsProvider<ErrorBudgetMetrics>("error-budget");
        await using var provider = services.BuildServiceProvider();

        var engine = provider.GetRequiredService<CanaryEngine>();
        var report = await engine.TickAsync("test", "podinfo", cancellationToken);
        // end-snippet
        return report;
    }
}

/// <summary>This check's canaries declare no webhooks; any call is a failure the engine reports.</summary>
public sealed class NoWebhooks : IWebhookClient
{
    public Task<WebhookResult> CallAsync(Flagger.Model.CanaryWebhook webhook, Flagger.Model.WebhookPayload payload, CancellationToken cancellationToken) =>
        Task.FromResult(WebhookResult.Failure($"webhook {webhook.Name}: not expected in the consumer check"));
}
