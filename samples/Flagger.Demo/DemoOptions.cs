using System.Globalization;

namespace Flagger.Demo;

/// <summary>The demo's command line.</summary>
public sealed record DemoOptions
{
    /// <summary>Usage text.</summary>
    public const string Usage = """
        usage: dotnet run --project samples/Flagger.Demo -- [--provider istio|gatewayapi:v1|gatewayapi:v1beta1] [--speed N] [--prometheus URL|off [--exporter-port P]] [--judge threshold|sequential]
               dotnet run --project samples/Flagger.Demo -- serve --kubeconfig PATH [--speed N] [--prometheus URL|off] [--cluster-only]
                   [--image REF]... [--operator-namespace NS] [--include-label-prefix P]...
        """;

    /// <summary>True for <c>serve</c>: keep the cluster (and operator) running for kubectl.</summary>
    public bool Serve { get; init; }

    /// <summary><c>--kubeconfig</c>: where <c>serve</c> writes the cluster's kubeconfig.</summary>
    public string? Kubeconfig { get; init; }

    /// <summary><c>--provider</c>: the router the walkthrough's canary uses, <c>istio</c> (default) or <c>gatewayapi:v1</c>/<c>gatewayapi:v1beta1</c>.</summary>
    public string Provider { get; init; } = "istio";

    /// <summary>True when the walkthrough runs through a Gateway and an HTTPRoute instead of a VirtualService.</summary>
    public bool GatewayApi => Provider.StartsWith("gatewayapi:", StringComparison.Ordinal);

    /// <summary><c>--cluster-only</c>: serve the cluster without the operator.</summary>
    public bool ClusterOnly { get; init; }

    /// <summary><c>--speed</c>: how many times faster than the wall clock simulated time runs.</summary>
    public double Speed { get; init; }

    /// <summary><c>--prometheus</c>: the Prometheus that scrapes the mesh's series and answers the metric queries.</summary>
    public Uri? Prometheus { get; init; }

    /// <summary>
    /// <c>--prometheus off</c>: no Prometheus; the simulated mesh answers Istio's builtin queries only. Without
    /// <c>--prometheus</c>, an installed <c>prometheus</c> executable is started and scrapes the mesh.
    /// </summary>
    public bool PrometheusOff { get; init; }

    /// <summary><c>--image REF</c> (repeatable): images the simulated registry has besides its default catalogue.</summary>
    public IReadOnlyList<string> Images { get; init; } = [];

    /// <summary><c>--operator-namespace</c>: where the operator's Deployment and logs appear (a Helm release's namespace).</summary>
    public string OperatorNamespace { get; init; } = "istio-system";

    /// <summary><c>--include-label-prefix P</c> (repeatable): label and annotation prefixes the operator copies to primaries.</summary>
    public IReadOnlyList<string> IncludeLabelPrefixes { get; init; } = [];

    /// <summary><c>--exporter-port</c>: port of the mesh's <c>/metrics</c> for that Prometheus (0: a free one).</summary>
    public int ExporterPort { get; init; }

    /// <summary>
    /// <c>--judge</c>: <c>threshold</c> (the walkthrough's 99% and 500 ms) or <c>sequential</c> (both metrics judged
    /// against the primary by the sequential test).
    /// </summary>
    public string Judge { get; init; } = "threshold";

    /// <summary>Parses the arguments, or returns every problem naming its flag.</summary>
    public static (DemoOptions? Options, IReadOnlyList<string> Errors) Parse(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var errors = new List<string>();
        var serve = args.Count > 0 && args[0] == "serve";
        string? kubeconfig = null;
        string? speed = null;
        string? prometheus = null;
        string? port = null;
        string? provider = null;
        var clusterOnly = false;
        string? judge = null;
        var images = new List<string>();
        var prefixes = new List<string>();
        string? operatorNamespace = null;
        for (var i = serve ? 1 : 0; i < args.Count; i++)
        {
            var (flag, inline) = args[i].Split('=', 2) is [var f, var v] ? (f, v) : (args[i], null);
            string? Value() => inline ?? (i + 1 < args.Count ? args[++i] : null);
            switch (flag)
            {
                case "--kubeconfig":
                    kubeconfig = Value();
                    break;
                case "--speed":
                    speed = Value() ?? string.Empty;
                    break;
                case "--prometheus":
                    prometheus = Value() ?? string.Empty;
                    break;
                case "--exporter-port":
                    port = Value() ?? string.Empty;
                    break;
                case "--judge":
                    judge = Value() ?? string.Empty;
                    break;
                case "--provider":
                    provider = Value() ?? string.Empty;
                    break;
                case "--image":
                    images.Add(Value() ?? string.Empty);
                    break;
                case "--include-label-prefix":
                    prefixes.AddRange((Value() ?? string.Empty).Split(',', StringSplitOptions.TrimEntries));
                    break;
                case "--operator-namespace":
                    operatorNamespace = Value() ?? string.Empty;
                    break;
                case "--cluster-only":
                    clusterOnly = true;
                    break;
                default:
                    errors.Add($"{args[i]}: unknown argument");
                    break;
            }
        }

        // Default speeds: the walkthrough (about 20 simulated minutes) in about a minute; serve's interval 1m in 6s.
        var parsedSpeed = serve ? 10.0 : 25.0;
        if (speed is not null && (!double.TryParse(speed, NumberStyles.Float, CultureInfo.InvariantCulture, out parsedSpeed) || parsedSpeed < 1 || parsedSpeed > 1000))
        {
            errors.Add($"--speed: must be a number from 1 to 1000 (simulated time runs that many times faster), got '{speed}'");
        }

        Uri? prometheusUrl = null;
        var off = prometheus == "off";
        if (prometheus is not null && !off && (!Uri.TryCreate(prometheus, UriKind.Absolute, out prometheusUrl) || prometheusUrl.Scheme is not ("http" or "https")))
        {
            errors.Add($"--prometheus: must be an http(s) URL such as http://127.0.0.1:9090, or off, got '{prometheus}'");
        }

        var parsedPort = 0;
        if (port is not null && (!int.TryParse(port, CultureInfo.InvariantCulture, out parsedPort) || parsedPort is < 0 or > 65535))
        {
            errors.Add($"--exporter-port: must be a port from 0 to 65535, got '{port}'");
        }

        if (judge is not (null or "threshold" or "sequential"))
        {
            errors.Add($"--judge: must be threshold or sequential, got '{judge}'");
        }

        if (provider is not null and not ("istio" or "gatewayapi:v1" or "gatewayapi:v1beta1"))
        {
            errors.Add($"--provider: must be istio, gatewayapi:v1 or gatewayapi:v1beta1, got '{provider}'");
        }

        if (images.Any(string.IsNullOrWhiteSpace))
        {
            errors.Add("--image: needs an image reference such as ghcr.io/stefanprodan/podinfo:6.0.4 (or repository:* for any tag)");
        }

        if (operatorNamespace is not null && !System.Text.RegularExpressions.Regex.IsMatch(operatorNamespace, "^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$"))
        {
            errors.Add($"--operator-namespace: must be a namespace name such as flagger-system, got '{operatorNamespace}'");
        }

        if (prefixes.Any(string.IsNullOrWhiteSpace))
        {
            errors.Add("--include-label-prefix: needs a prefix such as app.kubernetes.io (or * for all)");
        }

        if (serve && string.IsNullOrEmpty(kubeconfig))
        {
            errors.Add("--kubeconfig: required by serve, the file to write the cluster's kubeconfig to");
        }

        return errors.Count > 0
            ? (null, errors)
            : (new DemoOptions { Serve = serve, Kubeconfig = kubeconfig, ClusterOnly = clusterOnly, Speed = parsedSpeed, Prometheus = prometheusUrl, PrometheusOff = off, ExporterPort = parsedPort, Images = images, IncludeLabelPrefixes = prefixes, OperatorNamespace = operatorNamespace ?? "istio-system", Judge = judge ?? "threshold", Provider = provider ?? "istio" }, errors);
    }
}
