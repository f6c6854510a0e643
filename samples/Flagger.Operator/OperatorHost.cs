using Flagger.GatewayApi;
using Flagger.Hosting;
using Flagger.Hosting.Flags;
using Flagger.Hosting.Logging;
using Flagger.Istio;
using Flagger.Notifications;
using Flagger.Prometheus;
using Flagger.Providers;
using k8s;
using Microsoft.Extensions.Options;

namespace Flagger.Operator;

/// <summary>
/// The operator as it runs in a cluster, composed from Flagger's command-line flags. This is the one place a flag
/// becomes an option; each package's validator names the flag when its value cannot work.
/// </summary>
public static class OperatorHost
{
    /// <summary>Parses <paramref name="args"/> (and the environment) and builds the host; bad flags throw <see cref="FlagsException"/>.</summary>
    public static WebApplication Build(string[] args, Action<IServiceCollection>? configure = null) =>
        Build(FlaggerFlags.Parse(args, Environment.GetEnvironmentVariables()), configure);

    /// <summary>Builds the host from parsed flags; <paramref name="configure"/> runs last (tests shorten intervals with it).</summary>
    public static WebApplication Build(FlaggerFlags flags, Action<IServiceCollection>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(flags);
        var errors = flags.Errors.ToList();
        if (flags["kubeconfig"] is { Length: > 0 } path && !File.Exists(path))
        {
            errors.Add($"--kubeconfig: no file at '{path}'");
        }

        // Read now, so a broken kubeconfig is a flag error rather than a failure deep in the first API call.
        KubernetesClientConfiguration? clientConfiguration = null;
        if (errors.Count == 0 && flags["kubeconfig"] is { Length: > 0 } kubeconfigPath)
        {
            try
            {
                clientConfiguration = Kubeconfig.Load(kubeconfigPath);
            }
            catch (Exception e) when (e is k8s.Exceptions.KubeConfigException or IOException or YamlDotNet.Core.YamlException)
            {
                errors.Add($"--kubeconfig: cannot use '{kubeconfigPath}': {e.Message}");
            }
        }

        if (errors.Count > 0)
        {
            throw new FlagsException(errors);
        }

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.WebHost.UseUrls($"http://0.0.0.0:{flags.Int("port", 8080)}");
        builder.Logging.ClearProviders()
            .AddFlaggerJsonConsole()
            .SetMinimumLevel(LogLevelOf(flags["log-level"]))
            .AddFilter("Microsoft", LogLevel.Warning)
            .AddFilter("System.Net.Http.HttpClient", LogLevel.Warning); // a line per request would drown the events

        var services = builder.Services;
        services.AddSingleton<CrdCheck>();
        var flagger = services.AddFlagger(
                engine =>
                {
                    engine.MeshProvider = flags["mesh-provider"] ?? engine.MeshProvider;        // -mesh-provider
                    engine.MetricsServer = flags["metrics-server"] ?? engine.MetricsServer;     // -metrics-server
                    engine.ClusterName = flags["cluster-name"];                                 // -cluster-name
                    engine.NoCrossNamespaceRefs = flags.IsSet("no-cross-namespace-refs");       // -no-cross-namespace-refs
                },
                host =>
                {
                    host.Port = flags.Int("port", host.Port);                                   // -port
                    host.EventWebhook = flags["event-webhook"];                                 // -event-webhook, EVENT_WEBHOOK_URL
                })
            .AddKubernetes(kubernetes =>
            {
                kubernetes.ClientConfiguration = clientConfiguration;                           // -kubeconfig (null: in-cluster)
                kubernetes.Namespace = flags["namespace"];                                      // -namespace
                Replace(kubernetes.SelectorLabels, flags.List("selector-labels", [.. kubernetes.SelectorLabels]));
                Replace(kubernetes.IncludeLabelPrefixes, flags.List("include-label-prefix", []));
                kubernetes.EnableConfigTracking = flags.IsSet("enable-config-tracking", defaultValue: true);
                kubernetes.EnableLeaderElection = flags.IsSet("enable-leader-election");       // ILeaderGate = the Lease
                kubernetes.LeaderElectionNamespace = flags["leader-election-namespace"] ?? kubernetes.LeaderElectionNamespace;
            })
            .AddIstio(istio => istio.Namespace = flags["namespace"])                         // -namespace
            .AddGatewayApi()                                                                  // spec.provider: gatewayapi:v1, gatewayapi:v1beta1
            .AddPrometheus()
            .AddNotifications()
            .AddEventForwarding();

        // One operator-wide notifier for canaries that list no alerts; Slack first, as in Flagger.
        if (flags["slack-url"] is { Length: > 0 } slack)
        {
            flagger.AddSlack(o =>
            {
                o.Url = slack;                                                                  // -slack-url, SLACK_URL
                o.Channel = flags["slack-channel"];
                o.User = flags["slack-user"] ?? o.User;
                o.Token = flags["slack-token"];                                                 // SLACK_TOKEN
                o.ProxyUrl = flags["slack-proxy-url"];
            });
        }
        else if (flags["msteams-url"] is { Length: > 0 } teams)
        {
            flagger.AddMSTeams(o =>
            {
                o.Url = teams;                                                                  // -msteams-url, MSTEAMS_URL
                o.ProxyUrl = flags["msteams-proxy-url"];
            });
        }

        configure?.Invoke(services);
        var app = builder.Build();
        app.MapFlaggerEndpoints();                                                              // /metrics /healthz /readyz
        return app;
    }

    /// <summary>
    /// Starts the host as production does: options validated (every failure, each naming its flag, in one
    /// <see cref="FlagsException"/>), then the CRDs checked
    /// (<see cref="StartupCheckException"/> says which are missing and how to install them), then the operator.
    /// </summary>
    public static async Task StartAsync(WebApplication app, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(app);
        try
        {
            app.Services.GetRequiredService<IStartupValidator>().Validate();
        }
        catch (OptionsValidationException e)
        {
            throw new FlagsException(e.Failures.ToList());
        }
        catch (AggregateException e) when (e.InnerExceptions.All(i => i is OptionsValidationException))
        {
            // Several option types failed: report every failure together, as bad flags are.
            throw new FlagsException(e.InnerExceptions.OfType<OptionsValidationException>().SelectMany(i => i.Failures).ToList());
        }

        await app.Services.GetRequiredService<CrdCheck>().RunAsync(cancellationToken).ConfigureAwait(false);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The version line <c>--version</c> prints, in Flagger's words.</summary>
    public static string VersionLine()
    {
        var informational = typeof(OperatorHost).Assembly
            .GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            .OfType<System.Reflection.AssemblyInformationalVersionAttribute>().FirstOrDefault()?.InformationalVersion ?? "0.0.0";
        var plus = informational.IndexOf('+', StringComparison.Ordinal);
        return plus < 0
            ? $"Flagger version {informational} revision unknown"
            : $"Flagger version {informational[..plus]} revision {informational[(plus + 1)..]}";
    }

    private static LogLevel LogLevelOf(string? flag) => flag switch
    {
        "debug" => LogLevel.Debug,
        "warning" => LogLevel.Warning,
        "error" => LogLevel.Error,
        _ => LogLevel.Information,
    };

    private static void Replace(IList<string> target, IReadOnlyList<string> values)
    {
        var copy = values.ToList();
        target.Clear();
        foreach (var value in copy)
        {
            target.Add(value);
        }
    }
}

/// <summary>Command-line problems, each naming its flag; the operator prints them and exits 2.</summary>
public sealed class FlagsException : Exception
{
    /// <summary>Creates the error from the problems found.</summary>
    public FlagsException(IReadOnlyList<string> problems)
        : base(string.Join(Environment.NewLine, problems)) => Problems = problems;

    /// <summary>Creates the error with a message.</summary>
    public FlagsException(string message)
        : base(message) => Problems = [message];

    /// <summary>Creates the error with a message and a cause.</summary>
    public FlagsException(string message, Exception innerException)
        : base(message, innerException) => Problems = [message];

    /// <summary>Creates an empty error.</summary>
    public FlagsException() => Problems = [];

    /// <summary>Each problem, naming its flag.</summary>
    public IReadOnlyList<string> Problems { get; }
}
