using System.Globalization;
using Flagger.LoadTester;
using Flagger.Model;
using Flagger.Testing.Mesh;

namespace Flagger.Demo;

/// <summary>
/// The load tester's command runner inside the demo: <c>hey -z 1m -q 10 -c 2 URL</c> becomes <c>q × c</c> simulated
/// requests a second to URL for the <c>-z</c> duration, sent through the simulated mesh; nothing is executed.
/// </summary>
internal sealed class SimulatedHey(SimulatedMesh mesh, string loadTesterNamespace) : ICommandRunner
{
    private static readonly HashSet<string> Switches = new(StringComparer.Ordinal) { "-h2", "-disable-compression", "-disable-keepalive", "-disable-redirects" };

    public async Task<(int ExitCode, string Output)> RunAsync(string command, CancellationToken cancellationToken)
    {
        if (!TryParse(command, out var load, out var error))
        {
            return (1, error);
        }

        var failure = load.Host is { } host
            ? mesh.SendToGateway(load.Url, host, load.RequestsPerSecond, load.Duration, loadTesterNamespace)
            : mesh.Send(load.Url, load.RequestsPerSecond, load.Duration, loadTesterNamespace);
        if (failure is not null)
        {
            return (1, $"Get \"{load.Url}\": {failure}");
        }

        await Task.Delay(load.Duration, mesh.Time, cancellationToken).ConfigureAwait(false);
        var total = load.RequestsPerSecond * load.Duration.TotalSeconds;
        return (0, string.Create(CultureInfo.InvariantCulture, $"Summary:\n  Requests/sec:\t{load.RequestsPerSecond:F4}\n  Total:\t{total:F0} requests (simulated)\n"));
    }

    /// <summary>Reads hey's flags: <c>-z</c> duration, <c>-q</c> rate per worker, <c>-c</c> workers, <c>-n</c> requests, <c>-host</c> Host header.</summary>
    internal static bool TryParse(string command, out (Uri Url, double RequestsPerSecond, TimeSpan Duration, string? Host) load, out string error)
    {
        load = default;
        var words = command.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (words.Length == 0 || words[0] != "hey")
        {
            error = $"the demo's load tester only simulates hey; cannot run '{command}'";
            return false;
        }

        var flags = new Dictionary<string, string>(StringComparer.Ordinal);
        Uri? url = null;
        for (var i = 1; i < words.Length; i++)
        {
            if (words[i].StartsWith('-'))
            {
                // hey's switches take no value; every other flag does.
                flags[words[i]] = Switches.Contains(words[i]) || i + 1 == words.Length ? string.Empty : words[++i];
            }
            else if (Uri.TryCreate(words[i], UriKind.Absolute, out var parsed))
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
            error = $"hey: no URL in '{command}'";
            return false;
        }

        load = (url, rate, duration.Value, flags.GetValueOrDefault("-host") is { Length: > 0 } host ? host : null);
        error = string.Empty;
        return true;
    }
}
