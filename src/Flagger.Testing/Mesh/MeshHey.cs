using System.Globalization;
using Flagger.Model;
using Flagger.Testing.Pods;

namespace Flagger.Testing.Mesh;

/// <summary>
/// <c>hey</c> in the simulated pods: <c>hey -z 1m -q 10 -c 2 [-H 'Cookie: type=insider'] [-m POST] [-d BODY] [-host HOST] URL</c>
/// becomes <c>q × c</c> requests a second to URL for the <c>-z</c> duration, routed by the mesh with their method,
/// path and headers; the command returns when the duration has passed on the mesh's clock and prints hey's summary.
/// </summary>
internal static class MeshHey
{
    private static readonly HashSet<string> Switches = new(StringComparer.Ordinal) { "-h2", "-disable-compression", "-disable-keepalive", "-disable-redirects" };

    public static async Task<int> RunAsync(SimulatedMesh mesh, PodCommandContext context, CancellationToken ct)
    {
        if (!TryParse(context.Arguments, out var load, out var error))
        {
            await context.Err(error + "\n", ct).ConfigureAwait(false);
            return 1;
        }

        // hey -host sets the Host header: a Gateway's Service routes by the HTTPRoutes whose hostnames take it.
        var failure = load.Host is { } host
            ? mesh.SendToGateway(load.Url, host, load.RequestsPerSecond, load.Duration, context.Namespace)
            : mesh.SendRequests(load.Url, load.RequestsPerSecond, load.Duration, context.Namespace, load.Request);
        if (failure is not null)
        {
            await context.Err($"Get \"{load.Url}\": {failure}\n", ct).ConfigureAwait(false);
            return 1;
        }

        await Task.Delay(load.Duration, mesh.Time, ct).ConfigureAwait(false);
        var total = load.RequestsPerSecond * load.Duration.TotalSeconds;
        await context.Out(string.Create(CultureInfo.InvariantCulture, $"\nSummary:\n  Total:\t{load.Duration.TotalSeconds:F4} secs\n  Requests/sec:\t{load.RequestsPerSecond:F4}\n  Total data:\t{total:F0} requests (simulated)\n"), ct).ConfigureAwait(false);
        return 0;
    }

    /// <summary>Reads hey's flags: <c>-z</c> duration, <c>-q</c> rate per worker, <c>-c</c> workers, <c>-n</c> requests, <c>-H</c>, <c>-m</c>, <c>-d</c>, <c>-host</c>.</summary>
    internal static bool TryParse(IReadOnlyList<string> args, out (Uri Url, double RequestsPerSecond, TimeSpan Duration, MeshRequest Request, string? Host) load, out string error)
    {
        load = default;
        var flags = new Dictionary<string, string>(StringComparer.Ordinal);
        var headers = new Dictionary<string, string>(StringComparer.Ordinal);
        Uri? url = null;
        for (var i = 0; i < args.Count; i++)
        {
            if (args[i].StartsWith('-'))
            {
                // hey's switches take no value; every other flag does.
                var flag = args[i];
                var value = Switches.Contains(flag) || i + 1 == args.Count ? string.Empty : args[++i];
                if (flag == "-H" && value.Split(':', 2) is [var name, var text])
                {
                    headers[name.Trim().ToLowerInvariant()] = text.Trim();
                }

                flags[flag] = value;
            }
            else if (Uri.TryCreate(args[i], UriKind.Absolute, out var parsed))
            {
                url = parsed;
            }
        }

        double? Number(string flag) =>
            flags.TryGetValue(flag, out var text) && double.TryParse(text, CultureInfo.InvariantCulture, out var n) ? n : null;
        TimeSpan? duration = flags.TryGetValue("-z", out var z) && GoDuration.TryParse(z, out var d) ? d : null;
        var perWorker = Number("-q");
        var workers = Number("-c") ?? 50;
        var requests = Number("-n");

        // Unthrottled hey sends as fast as the server answers; a podinfo pod answers about 50 a second per worker.
        var rate = (perWorker ?? 50) * workers;
        duration ??= TimeSpan.FromSeconds((requests ?? 200) / rate);
        if (url is null)
        {
            error = "hey: no URL given\nUsage: hey [options...] <url>";
            return false;
        }

        var method = flags.TryGetValue("-m", out var m) && m.Length > 0 ? m.ToUpperInvariant() : "GET";
        load = (url, rate, duration.Value, new MeshRequest(url.PathAndQuery, method, headers), flags.GetValueOrDefault("-host") is { Length: > 0 } host ? host : null);
        error = string.Empty;
        return true;
    }
}
