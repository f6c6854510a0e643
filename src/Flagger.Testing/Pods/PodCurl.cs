using System.Globalization;

namespace Flagger.Testing.Pods;

/// <summary>
/// <c>curl</c> inside a simulated pod: sends one request through the <see cref="PodNetwork"/> and prints the
/// body, with curl's error texts and exit codes (6 unresolved host, 7 refused, 22 with <c>-f</c>, 28 timeout).
/// Options: <c>-s</c>, <c>-S</c>, <c>-i</c>, <c>-f</c>, <c>-X METHOD</c>, <c>-d DATA</c> (a POST), <c>-o FILE</c> (only /dev/null),
/// <c>-w FORMAT</c> (<c>%{http_code}</c>), <c>-m SECONDS</c>; others are accepted and ignored.
/// </summary>
internal sealed class PodCurl(string ns, string pod, PodNetwork network, TimeProvider time)
{
    public async Task<int> RunAsync(List<string> args, Func<string, CancellationToken, Task> stdout, Func<string, CancellationToken, Task> stderr, CancellationToken ct)
    {
        bool silent = false, showErrors = false, include = false, fail = false, discard = false;
        string method = "GET", format = "";
        var explicitMethod = false;
        string? url = null;
        double? maxTime = null;
        args = ExpandShortFlags(args);
        for (var i = 0; i < args.Count; i++)
        {
            var a = args[i];
            string? Value() => i + 1 < args.Count ? args[++i] : null;
            switch (a)
            {
                case "-s" or "--silent":
                    silent = true;
                    break;
                case "-S" or "--show-error":
                    showErrors = true;
                    break;
                case "-i" or "--include":
                    include = true;
                    break;
                case "-f" or "--fail":
                    fail = true;
                    break;
                case "-X" or "--request":
                    method = Value() ?? method;
                    explicitMethod = true;
                    break;
                case "-d" or "--data" or "--data-raw" or "--data-binary":
                    Value();
                    method = explicitMethod ? method : "POST";
                    break;
                case "-o" or "--output":
                    discard = Value() == "/dev/null";
                    break;
                case "-w" or "--write-out":
                    format = Value() ?? "";
                    break;
                case "-m" or "--max-time":
                    maxTime = double.TryParse(Value(), NumberStyles.Float, CultureInfo.InvariantCulture, out var m) ? m : null;
                    break;
                case "-H" or "--header" or "--connect-timeout":
                    Value();
                    break;
                case var flag when flag.StartsWith('-'):
                    break;
                default:
                    url = a;
                    break;
            }
        }

        async Task<int> Error(int code, string message)
        {
            if (!silent || showErrors)
            {
                await stderr($"curl: ({code}) {message}\n", ct).ConfigureAwait(false);
            }

            return code;
        }

        if (url is null)
        {
            await stderr("curl: try 'curl --help' for more information\n", ct).ConfigureAwait(false);
            return 2;
        }

        var target = PodNetwork.ParseUrl(url);
        if (target is null)
        {
            return await Error(3, "URL rejected: Malformed input to a URL function").ConfigureAwait(false);
        }

        var started = time.GetTimestamp();
        ClusterHttpResponse? response;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        try
        {
            var send = network.SendAsync(ns, pod, method, url, timeout.Token);
            if (maxTime is { } seconds)
            {
                response = await send.WaitAsync(TimeSpan.FromSeconds(seconds), time, ct).ConfigureAwait(false);
            }
            else
            {
                response = await send.ConfigureAwait(false);
            }
        }
        catch (TimeoutException)
        {
            await timeout.CancelAsync().ConfigureAwait(false);
            var ms = (long)time.GetElapsedTime(started).TotalMilliseconds;
            return await Error(28, $"Operation timed out after {ms} milliseconds with 0 bytes received").ConfigureAwait(false);
        }

        if (response is null)
        {
            return await Error(6, $"Could not resolve host: {target.Value.Host}").ConfigureAwait(false);
        }

        if (response.ConnectionError is { } reason)
        {
            var ms = (long)time.GetElapsedTime(started).TotalMilliseconds;
            return await Error(7, $"Failed to connect to {target.Value.Host} port {target.Value.Port} after {ms} ms: {reason}").ConfigureAwait(false);
        }

        if (fail && response.StatusCode >= 400)
        {
            return await Error(22, $"The requested URL returned error: {response.StatusCode}").ConfigureAwait(false);
        }

        if (include)
        {
            await stdout($"HTTP/1.1 {response.StatusCode}\nContent-Type: {response.ContentType}\nContent-Length: {response.Body.Length}\n\n", ct).ConfigureAwait(false);
        }

        if (!discard)
        {
            await stdout(response.Body, ct).ConfigureAwait(false);
        }

        if (format.Length > 0)
        {
            await stdout(format.Replace("%{http_code}", response.StatusCode.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal).Replace("\\n", "\n", StringComparison.Ordinal), ct).ConfigureAwait(false);
        }

        return 0;
    }

    /// <summary>Splits bundled short options as curl does: <c>-sSf</c> is <c>-s -S -f</c>, <c>-XPOST</c> is <c>-X POST</c>.</summary>
    internal static List<string> ExpandShortFlags(List<string> args)
    {
        var expanded = new List<string>();
        foreach (var a in args)
        {
            if (a.Length <= 2 || a[0] != '-' || a[1] == '-')
            {
                expanded.Add(a);
                continue;
            }

            for (var j = 1; j < a.Length; j++)
            {
                expanded.Add("-" + a[j]);
                if ("XowmHd".Contains(a[j], StringComparison.Ordinal) && j + 1 < a.Length)
                {
                    expanded.Add(a[(j + 1)..]);
                    break;
                }
            }
        }

        return expanded;
    }
}
