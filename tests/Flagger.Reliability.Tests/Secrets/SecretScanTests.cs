using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Flagger.Analysis;
using Flagger.Model;
using Flagger.Operator;
using Flagger.Prometheus.Tests.Fixtures;
using Flagger.Reliability.Harness;
using Flagger.Store;
using Flagger.Testing;
using Flagger.Testing.Receivers;
using Flagger.Tests.Operator;
using k8s;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace Flagger.Reliability.Secrets;

/// <summary>
/// A run that uses every kind of secret the operator is given — Prometheus basic and bearer credentials from
/// Secrets, a Slack URL and token from flags, Slack and Teams URLs and a token from AlertProvider Secrets, webhook
/// tokens in hook addresses and metadata, the event webhook's token — down the paths where they are most likely to
/// escape: receivers that fail and echo the request back, a notifier and a hook that hang until their timeouts,
/// wrong credentials, a rollback with alerts. Afterwards
/// every place a user or another tenant can read is scanned for each secret: the operator's log records at every
/// level and category (exceptions included), every exception thrown in the process, all Events, the status of
/// every Flagger object, and <c>/metrics</c>.
/// </summary>
public sealed class SecretScanTests : IAsyncLifetime
{
    // Each secret is unique, so a sighting can only be a leak, never a coincidence.
    private static readonly string SlackFlagPath = Secret("slack-flag-path");
    private static readonly string SlackFlagToken = Secret("slack-flag-token");
    private static readonly string SlackProviderPath = Secret("slack-provider-path");
    private static readonly string SlackProviderToken = Secret("slack-provider-token");
    private static readonly string TeamsProviderPath = Secret("teams-provider-path");
    private static readonly string TeamsProxyPassword = Secret("teams-proxy-password");
    private static readonly string HookPassword = Secret("hook-password");
    private static readonly string HookQueryToken = Secret("hook-query-token");
    private static readonly string HookMetadataToken = Secret("hook-metadata-token");
    private static readonly string FlakyHookToken = Secret("flaky-hook-token");
    private static readonly string FlakyHookBearer = Secret("flaky-hook-bearer");
    private static readonly string EventHookToken = Secret("event-hook-token");
    private static readonly string SlowHookToken = Secret("slow-hook-token");
    private static readonly string SlowHookBearer = Secret("slow-hook-bearer");
    private static readonly string WrongPrometheusPassword = Secret("wrong-password");

    private readonly string kubeconfig = Path.Combine(Path.GetTempPath(), $"flagger-secrets-{Guid.NewGuid():N}.yaml");
    private readonly ConcurrentQueue<string> exceptions = new();
    private PrometheusServer prometheus = null!;
    private EmbeddedCluster cluster = null!;
    private RecordingReceiver listener = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static IEnumerable<(string Name, string Value)> AllSecrets =>
    [
        ("Prometheus password", AuthProxy.Password),
        ("Prometheus basic credentials", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{AuthProxy.User}:{AuthProxy.Password}"))),
        ("Prometheus bearer token", AuthProxy.Token),
        ("wrong Prometheus password", WrongPrometheusPassword),
        ("wrong Prometheus basic credentials", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{AuthProxy.User}:{WrongPrometheusPassword}"))),
        ("Slack URL (-slack-url)", SlackFlagPath),
        ("Slack token (-slack-token)", SlackFlagToken),
        ("Slack URL (AlertProvider Secret)", SlackProviderPath),
        ("Slack token (AlertProvider Secret)", SlackProviderToken),
        ("Teams URL (AlertProvider Secret)", TeamsProviderPath),
        ("Teams proxy password (AlertProvider Secret)", TeamsProxyPassword),
        ("webhook password (address user info)", HookPassword),
        ("webhook token (address query)", HookQueryToken),
        ("webhook token (metadata)", HookMetadataToken),
        ("failing webhook token (address query)", FlakyHookToken),
        ("failing webhook token (metadata)", FlakyHookBearer),
        ("event webhook token (-event-webhook)", EventHookToken),
        ("hanging webhook token (address query)", SlowHookToken),
        ("hanging webhook token (metadata)", SlowHookBearer),
    ];

    public async ValueTask InitializeAsync()
    {
        AppDomain.CurrentDomain.FirstChanceException += RecordException;

        // Its own Prometheus: the outage tests stop the assembly's shared one, and this run must not go blind.
        prometheus = new PrometheusServer();
        await prometheus.InitializeAsync();
        cluster = await EmbeddedCluster.StartAsync(new EmbeddedClusterOptions { RolloutDelay = TimeSpan.FromMilliseconds(200) }, Ct);
        cluster.WriteKubeconfig(kubeconfig);
        cluster.ApplyPath(Path.Combine(Repository.Root, "deploy/artifacts/namespaces/test.yaml"));
        listener = await RecordingReceiver.StartAsync(Ct);
    }

    public async ValueTask DisposeAsync()
    {
        AppDomain.CurrentDomain.FirstChanceException -= RecordException;
        await listener.DisposeAsync();
        await cluster.DisposeAsync();
        await prometheus.DisposeAsync();
        File.Delete(kubeconfig);
    }

    [Fact]
    public async Task No_secret_reaches_logs_events_status_metrics_or_exceptions()
    {
        // Every answer that can carry an echo of the request fails and echoes it.
        var echo = new ReceiverAnswer(500, "cannot handle it") { EchoRequest = true };
        listener.AnswerAt("/services/T0/", echo);            // the -slack-url notifier
        listener.AnswerAt("/teams/", echo);                  // the Teams AlertProvider
        listener.AnswerAt("/events", echo);                  // -event-webhook
        listener.AnswerAt("/hooks/flaky", echo, times: 2);   // a rollout hook: two failed checks, then it passes

        // And the timeout paths: the Slack AlertProvider and a rollout hook hang once, until the caller gives up.
        listener.AnswerAt("/services/T1/", ReceiverAnswer.Never, times: 1);
        listener.AnswerAt("/hooks/slow", ReceiverAnswer.Never, times: 1);

        ApplySecretsAndTemplates();
        cluster.Apply(Deployment("podinfo"), "test");
        cluster.Apply(Deployment("backend"), "test");
        await using var app = await StartOperatorAsync();
        var store = app.Services.GetRequiredService<ICanaryStore>();
        cluster.Apply(HealthyCanary(), "test");
        cluster.Apply(FailingCanary(), "test");
        await OperatorApp.WaitForPhaseAsync(store, "podinfo", CanaryPhase.Initialized);
        await OperatorApp.WaitForPhaseAsync(store, "backend", CanaryPhase.Initialized);
        cluster.Apply(Deployment("podinfo", "stefanprodan/podinfo:1.4.1"), "test");
        cluster.Apply(Deployment("backend", "stefanprodan/podinfo:1.4.1"), "test");
        await OperatorApp.WaitForPhaseAsync(store, "podinfo", CanaryPhase.Succeeded);
        await OperatorApp.WaitForPhaseAsync(store, "backend", CanaryPhase.Failed);

        // The secrets were used, and the failure paths taken: otherwise a clean scan would prove nothing.
        AssertSecretsWereUsed();
        var logs = app.Services.GetRequiredService<FakeLogCollector>().GetSnapshot();
        Assert.Contains(logs, r => r.Message.Contains("Alert teams for canary backend.test failed", StringComparison.Ordinal));
        Assert.Contains(logs, r => r.Message.Contains("Alert global for canary podinfo.test failed", StringComparison.Ordinal));
        Assert.Contains(logs, r => r.Message.Contains("Event webhook for canary podinfo.test failed", StringComparison.Ordinal));
        Assert.Contains(logs, r => r.Message.Contains("Alert on-call for canary backend.test failed", StringComparison.Ordinal));

        var sources = new List<(string Source, string Text)>();
        sources.AddRange(logs.Select(r => ($"log {r.Level} {r.Category}", $"{r.Message} {string.Join(' ', r.StructuredState?.Select(s => s.Value) ?? [])} {r.Exception}")));
        sources.AddRange(exceptions.Select(e => ("exception", e)));
        using var client = cluster.CreateClient();
        var events = await client.CoreV1.ListEventForAllNamespacesAsync(cancellationToken: Ct);
        Assert.Contains(events.Items, e => e.Type == "Warning" && e.Message.Contains("flaky", StringComparison.Ordinal));
        // Its 1s timeout is the canary's interval: the tick's webhook time (one interval) may end the call first.
        Assert.Contains(events.Items, e => e.Type == "Warning" && (e.Message.Contains("webhook slow timed out", StringComparison.Ordinal) || e.Message.Contains("webhook slow stopped: this tick's time for webhooks", StringComparison.Ordinal)));
        Assert.Contains(events.Items, e => e.Type == "Warning" && e.Message.Contains("wrong-credentials", StringComparison.Ordinal));
        sources.AddRange(events.Items.Select(e => ($"event {e.Reason} on {e.InvolvedObject.Name}", KubernetesJson.Serialize(e))));
        foreach (var plural in new[] { "canaries", "metrictemplates", "alertproviders" })
        {
            sources.AddRange(await StatusesAsync(client, plural));
        }

        using var http = new HttpClient();
        var metrics = await http.GetStringAsync(new Uri(OperatorApp.Address(app), "/metrics"), Ct);
        Assert.Contains("flagger_canary_status", metrics, StringComparison.Ordinal);
        sources.Add(("/metrics", metrics));

        var leaks = (from secret in AllSecrets
                     from source in sources
                     where Forms(secret.Value).Any(f => source.Text.Contains(f, StringComparison.Ordinal))
                     select $"{secret.Name} in {source.Source}: {Excerpt(source.Text, secret.Value)}").ToList();
        Assert.True(leaks.Count == 0, $"{leaks.Count} secret sightings:\n{string.Join('\n', leaks.Distinct().Take(20))}");
    }

    private void AssertSecretsWereUsed()
    {
        var proxied = prometheus.Proxy.Requests.Select(r => r.Headers.Authorization.ToString()).ToList();
        Assert.Contains($"Bearer {AuthProxy.Token}", proxied);
        Assert.Contains($"Basic {Convert.ToBase64String(Encoding.UTF8.GetBytes($"{AuthProxy.User}:{AuthProxy.Password}"))}", proxied);
        Assert.Contains($"Basic {Convert.ToBase64String(Encoding.UTF8.GetBytes($"{AuthProxy.User}:{WrongPrometheusPassword}"))}", proxied);
        var posts = listener.Requests;
        Assert.Contains(posts, p => p.Path == $"/services/T0/B0/{SlackFlagPath}" && p.Authorization == $"Bearer {SlackFlagToken}");
        Assert.Contains(posts, p => p.Path == $"/services/T1/B1/{SlackProviderPath}" && p.Authorization == $"Bearer {SlackProviderToken}");
        Assert.Contains(posts, p => p.Path == $"/teams/{TeamsProviderPath}"); // through the proxy (see ApplySecretsAndTemplates)
        Assert.Contains(posts, p => p.Path == "/hooks/pre" && p.Query.Contains(HookQueryToken, StringComparison.Ordinal) && p.Body.Contains(HookMetadataToken, StringComparison.Ordinal));
        Assert.Contains(posts, p => p.Path == "/hooks/flaky" && p.Query.Contains(FlakyHookToken, StringComparison.Ordinal) && p.Body.Contains(FlakyHookBearer, StringComparison.Ordinal));
        Assert.Contains(posts, p => p.Path == "/events" && p.Query.Contains(EventHookToken, StringComparison.Ordinal));
        Assert.Contains(posts, p => p.Path == "/hooks/slow" && p.Query.Contains(SlowHookToken, StringComparison.Ordinal) && p.Body.Contains(SlowHookBearer, StringComparison.Ordinal));
    }

    private void ApplySecretsAndTemplates()
    {
        var prometheusAddress = prometheus.Proxy.Address.ToString().TrimEnd('/');
        ApplySecret("prom-basic", ("username", AuthProxy.User), ("password", AuthProxy.Password));
        ApplySecret("prom-bearer", ("token", AuthProxy.Token));
        ApplySecret("prom-wrong", ("username", AuthProxy.User), ("password", WrongPrometheusPassword));
        ApplySecret("slack-on-call", ("address", $"{listener.Address}/services/T1/B1/{SlackProviderPath}"), ("token", SlackProviderToken));
        // Teams is reached through a proxy with credentials (the listener again): its own host does not resolve, so a
        // post seen at /teams/ went through the proxy the Secret names.
        var host = listener.Address.Replace("http://", string.Empty, StringComparison.Ordinal);
        ApplySecret("teams-on-call", ("address", $"http://teams.invalid/teams/{TeamsProviderPath}"), ("proxy", $"http://egress:{TeamsProxyPassword}@{host}"));
        foreach (var (name, secret) in new[] { ("prom-basic", "prom-basic"), ("prom-bearer", "prom-bearer"), ("prom-wrong", "prom-wrong") })
        {
            cluster.Apply($$"""
                {"apiVersion":"flagger.app/v1beta1","kind":"MetricTemplate","metadata":{"name":"{{name}}","namespace":"test"},
                 "spec":{"provider":{"type":"prometheus","address":"{{prometheusAddress}}","secretRef":{"name":"{{secret}}"} },
                         "query":"vector(1)"} }
                """, "test");
        }

        foreach (var (name, type, secret) in new[] { ("slack-on-call", "slack", "slack-on-call"), ("teams-on-call", "msteams", "teams-on-call") })
        {
            cluster.Apply($$"""
                {"apiVersion":"flagger.app/v1beta1","kind":"AlertProvider","metadata":{"name":"{{name}}","namespace":"test"},
                 "spec":{"type":"{{type}}","channel":"on-call","secretRef":{"name":"{{secret}}"} } }
                """, "test");
        }
    }

    private void ApplySecret(string name, params (string Key, string Value)[] data)
    {
        var entries = string.Join(',', data.Select(d => $"\"{d.Key}\":\"{Convert.ToBase64String(Encoding.UTF8.GetBytes(d.Value))}\""));
        cluster.Apply($$"""{"apiVersion":"v1","kind":"Secret","metadata":{"name":"{{name}}","namespace":"test"},"data":{ {{entries}} } }""", "test");
    }

    // No alerts of its own: the -slack-url notifier tells of it. Its hooks carry tokens in the address and metadata.
    private string HealthyCanary()
    {
        var host = listener.Address.Replace("http://", string.Empty, StringComparison.Ordinal);
        return $$"""
            {"apiVersion":"flagger.app/v1beta1","kind":"Canary","metadata":{"name":"podinfo","namespace":"test"},
             "spec":{"targetRef":{"apiVersion":"apps/v1","kind":"Deployment","name":"podinfo"},
                     "service":{"port":9898},
                     "analysis":{"interval":"1s","threshold":5,"maxWeight":50,"stepWeight":25,
                       "metrics":[{"name":"basic-auth","templateRef":{"name":"prom-basic"},"thresholdRange":{"max":2},"interval":"1m"},
                                  {"name":"bearer","templateRef":{"name":"prom-bearer"},"thresholdRange":{"max":2},"interval":"1m"}],
                       "webhooks":[{"name":"gate","type":"pre-rollout","url":"http://hooks:{{HookPassword}}@{{host}}/hooks/pre?token={{HookQueryToken}}",
                                    "metadata":{"token":"{{HookMetadataToken}}"} },
                                   {"name":"flaky","url":"{{listener.Address}}/hooks/flaky?token={{FlakyHookToken}}",
                                    "metadata":{"authorization":"Bearer {{FlakyHookBearer}}"} },
                                   {"name":"slow","url":"{{listener.Address}}/hooks/slow?token={{SlowHookToken}}","timeout":"1s",
                                    "metadata":{"authorization":"Bearer {{SlowHookBearer}}"} }]} } }
            """;
    }

    // Wrong Prometheus credentials: every check fails, it is rolled back and both AlertProviders are told.
    private static string FailingCanary() => """
        {"apiVersion":"flagger.app/v1beta1","kind":"Canary","metadata":{"name":"backend","namespace":"test"},
         "spec":{"targetRef":{"apiVersion":"apps/v1","kind":"Deployment","name":"backend"},
                 "service":{"port":9898},
                 "analysis":{"interval":"1s","threshold":2,"maxWeight":50,"stepWeight":25,
                   "metrics":[{"name":"wrong-credentials","templateRef":{"name":"prom-wrong"},"thresholdRange":{"max":2},"interval":"1m"}],
                   "alerts":[{"name":"on-call","severity":"info","providerRef":{"name":"slack-on-call"}},
                             {"name":"teams","severity":"info","providerRef":{"name":"teams-on-call"}}]}}}
        """;

    private static string Deployment(string name, string image = "stefanprodan/podinfo:1.4.0") => $$"""
        {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"{{name}}","namespace":"test","labels":{"app":"{{name}}"} },
         "spec":{"selector":{"matchLabels":{"app":"{{name}}"} },
                 "template":{"metadata":{"labels":{"app":"{{name}}"} },
                             "spec":{"containers":[{"name":"podinfod","image":"{{image}}","ports":[{"containerPort":9898,"name":"http"}]}]} } } }
        """;

    private async Task<WebApplication> StartOperatorAsync()
    {
        var app = OperatorHost.Build(
            [
                "-kubeconfig", kubeconfig, "-mesh-provider=istio", "-metrics-server", prometheus.Address.ToString(),
                "-slack-url", $"{listener.Address}/services/T0/B0/{SlackFlagPath}", "-slack-token", SlackFlagToken,
                "-slack-channel", "general", "-event-webhook", $"{listener.Address}/events?token={EventHookToken}",
                "-port", "0", "-log-level", "debug",
            ],
            services =>
            {
                services.Configure<EngineOptions>(o => o.MinimumInterval = TimeSpan.FromSeconds(1));

                // Every record of every category at every level, past the host's own filters: an embedding
                // application may log more than the operator's defaults, and must not see a secret either.
                services.AddLogging(b => b.AddFakeLogging(o => o.OutputSink = null).AddFilter<FakeLoggerProvider>(null, LogLevel.Trace));
            });
        await OperatorHost.StartAsync(app, Ct);
        return app;
    }

    private static async Task<IEnumerable<(string Source, string Text)>> StatusesAsync(IKubernetes client, string plural)
    {
        var list = (JsonElement)await client.CustomObjects.ListClusterCustomObjectAsync("flagger.app", "v1beta1", plural, cancellationToken: Ct);
        return list.GetProperty("items").EnumerateArray()
            .Where(item => item.TryGetProperty("status", out _))
            .Select(item => ($"status of {plural}/{item.GetProperty("metadata").GetProperty("name").GetString()}", item.GetProperty("status").GetRawText()))
            .ToList();
    }

    private void RecordException(object? sender, System.Runtime.ExceptionServices.FirstChanceExceptionEventArgs e)
    {
        // Messages of the whole chain: a wrapper may carry the inner exception's text or not.
        for (var exception = e.Exception; exception is not null; exception = exception.InnerException)
        {
            exceptions.Enqueue($"{exception.GetType().Name}: {exception.Message}");
        }
    }

    // The value as written, as a URL carries it, and as JSON escapes it.
    private static IEnumerable<string> Forms(string secret) =>
        new[] { secret, Uri.EscapeDataString(secret), JsonEncodedText.Encode(secret).ToString() }.Distinct();

    private static string Excerpt(string text, string secret)
    {
        var at = Math.Max(0, text.IndexOf(secret, StringComparison.Ordinal));
        var start = Math.Max(0, at - 80);
        return text.Substring(start, Math.Min(text.Length - start, secret.Length + 160)).ReplaceLineEndings(" ");
    }

    private static string Secret(string what) => $"{what}-{Guid.NewGuid():N}";
}
