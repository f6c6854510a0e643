using System.Collections;
using System.Globalization;

namespace Flagger.Hosting.Flags;

/// <summary>
/// The operator's command line, with Flagger's flag names (<c>-mesh-provider istio</c>, <c>--port=8080</c>,
/// <c>-enable-leader-election</c>), and the environment variables Flagger reads. Unknown flags and bad values
/// are reported together, each naming the flag.
/// </summary>
public sealed record FlaggerFlags
{
    /// <summary>Every flag understood, with its meaning (printed by <c>--help</c>).</summary>
    public static IReadOnlyDictionary<string, string> Known { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["kubeconfig"] = "path to a kubeconfig; in-cluster configuration when empty",
        ["metrics-server"] = "Prometheus address for the builtin metrics (default http://prometheus:9090)",
        ["mesh-provider"] = "mesh provider for canaries without spec.provider (default istio)",
        ["namespace"] = "watch only this namespace (default: all)",
        ["selector-labels"] = "labels that select a workload's pods (default app,name,app.kubernetes.io/name)",
        ["include-label-prefix"] = "label and annotation prefixes copied to primaries",
        ["enable-config-tracking"] = "track ConfigMaps and Secrets as part of a revision (default true)",
        ["enable-leader-election"] = "run as one of several replicas, only the leader acting",
        ["leader-election-namespace"] = "namespace of the leader-election Lease (default kube-system)",
        ["slack-url"] = "Slack incoming webhook (env SLACK_URL)",
        ["slack-channel"] = "Slack channel",
        ["slack-user"] = "Slack user name (default flagger)",
        ["slack-token"] = "Slack token (env SLACK_TOKEN)",
        ["slack-proxy-url"] = "HTTP proxy for Slack",
        ["msteams-url"] = "Microsoft Teams incoming webhook (env MSTEAMS_URL)",
        ["msteams-proxy-url"] = "HTTP proxy for Teams",
        ["event-webhook"] = "address that receives every event (env EVENT_WEBHOOK_URL)",
        ["cluster-name"] = "cluster name shown in alerts",
        ["port"] = "port of /metrics and /healthz (default 8080)",
        ["log-level"] = "debug, info, warning or error (default info)",
        ["no-cross-namespace-refs"] = "reject references to MetricTemplates and AlertProviders in other namespaces",
        ["version"] = "print the version and exit",
        ["help"] = "print the flags and exit",
    };

    private static readonly HashSet<string> Switches = new(StringComparer.Ordinal)
    {
        "enable-config-tracking", "enable-leader-election", "no-cross-namespace-refs", "version", "help",
    };

    /// <summary>The flag values given, by name (environment overrides applied).</summary>
    public IReadOnlyDictionary<string, string> Values { get; init; } = new Dictionary<string, string>();

    /// <summary>Problems found, each naming its flag.</summary>
    public IReadOnlyList<string> Errors { get; init; } = [];

    /// <summary>A flag's value, or null.</summary>
    public string? this[string flag] => Values.GetValueOrDefault(flag);

    /// <summary>A switch's value: true when given bare or as true.</summary>
    public bool IsSet(string flag, bool defaultValue = false) =>
        Values.TryGetValue(flag, out var text) ? text == "true" : defaultValue;

    /// <summary>An integer flag, or the default.</summary>
    public int Int(string flag, int defaultValue) =>
        Values.TryGetValue(flag, out var text) ? int.Parse(text, CultureInfo.InvariantCulture) : defaultValue;

    /// <summary>A comma-separated flag as a list (blanks dropped), or the default when not given.</summary>
    public IReadOnlyList<string> List(string flag, IReadOnlyList<string> defaultValue) =>
        Values.TryGetValue(flag, out var text)
            ? text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            : defaultValue;

    /// <summary>Parses arguments; <paramref name="environment"/> supplies SLACK_URL, SLACK_TOKEN, MSTEAMS_URL, EVENT_WEBHOOK_URL.</summary>
    public static FlaggerFlags Parse(IReadOnlyList<string> args, IDictionary? environment = null)
    {
        ArgumentNullException.ThrowIfNull(args);
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var errors = new List<string>();
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (!arg.StartsWith('-') || arg.Trim('-').Length == 0)
            {
                errors.Add($"{arg}: unexpected argument; flags look like -name value or --name=value");
                continue;
            }

            var body = arg.TrimStart('-');
            var equals = body.IndexOf('=', StringComparison.Ordinal);
            var name = equals >= 0 ? body[..equals] : body;
            if (!Known.ContainsKey(name))
            {
                errors.Add($"--{name}: unknown flag; see --help");
                continue;
            }

            string value;
            if (equals >= 0)
            {
                value = body[(equals + 1)..];
            }
            else if (Switches.Contains(name))
            {
                value = "true";
            }
            else if (i + 1 < args.Count)
            {
                value = args[++i];
            }
            else
            {
                errors.Add($"--{name}: needs a value");
                continue;
            }

            if (Switches.Contains(name) && value is not ("true" or "false"))
            {
                errors.Add($"--{name}: must be true or false, got '{value}'");
                continue;
            }

            values[name] = value;
        }

        Override(values, environment, "SLACK_URL", "slack-url");
        Override(values, environment, "SLACK_TOKEN", "slack-token");
        Override(values, environment, "MSTEAMS_URL", "msteams-url");
        Override(values, environment, "EVENT_WEBHOOK_URL", "event-webhook");
        if (values.TryGetValue("port", out var port) && !int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out _))
        {
            errors.Add($"--port: must be a number, got '{port}'");
        }

        if (values.TryGetValue("log-level", out var level) && level is not ("debug" or "info" or "warning" or "error"))
        {
            errors.Add($"--log-level: must be debug, info, warning or error, got '{level}'");
        }

        return new FlaggerFlags { Values = values, Errors = errors };
    }

    /// <summary>The flags and their meanings, one per line.</summary>
    public static string Help() => string.Join(Environment.NewLine, Known.Select(kv => $"  --{kv.Key,-28} {kv.Value}"));

    // Flagger lets these environment variables win over the flags, so secrets can stay out of the pod spec.
    private static void Override(Dictionary<string, string> values, IDictionary? environment, string variable, string flag)
    {
        if (environment?[variable] is string { Length: > 0 } value)
        {
            values[flag] = value;
        }
    }
}
