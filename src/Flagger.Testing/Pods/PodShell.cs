using System.Globalization;
using System.Text;

namespace Flagger.Testing.Pods;

/// <summary>
/// The tiny <c>sh</c> behind <c>kubectl exec</c>: a prompt and line editing with a TTY, pipes and <c>&amp;&amp;</c>,
/// <c>||</c>, <c>;</c> lists, and the commands the walkthrough and Flagger's load tester hooks use (<c>curl</c>,
/// <c>watch</c>, <c>grep</c>, <c>grpc_health_probe</c>, and <c>hey</c> when a mesh is running) plus <c>echo</c>,
/// <c>cat</c>, <c>hostname</c>, <c>sleep</c> and <c>exit</c>. Anything else is <c>sh: X: command not found</c>.
/// </summary>
internal sealed class PodShell(string ns, string pod, ShellTerminal terminal, PodNetwork network, TimeProvider time)
{
    private const string Prompt = "/ $ ";

    /// <summary>Runs the exec's command line (e.g. <c>sh</c>, <c>sh -c "curl ..."</c>, <c>curl -s URL</c>); returns its exit code.</summary>
    public async Task<int> ExecAsync(IReadOnlyList<string> argv, CancellationToken ct)
    {
        if (argv.Count == 0)
        {
            await terminal.ErrAsync("exec: no command given\n", ct).ConfigureAwait(false);
            return 126;
        }

        if (argv[0].Split('/')[^1] is "sh" or "ash" or "bash")
        {
            if (argv.Count >= 3 && argv[1] == "-c")
            {
                return await RunLineAsync(argv[2], ct).ConfigureAwait(false);
            }

            return await InteractiveAsync(ct).ConfigureAwait(false);
        }

        return await terminal.InterruptibleAsync(c => RunAsync(argv, c), ct).ConfigureAwait(false);
    }

    private async Task<int> InteractiveAsync(CancellationToken ct)
    {
        var status = 0;
        while (true)
        {
            terminal.Disarm();
            if (terminal.Tty)
            {
                await terminal.OutAsync(Prompt, ct).ConfigureAwait(false);
            }

            var line = await terminal.ReadLineAsync(ct).ConfigureAwait(false);
            if (line is null)
            {
                if (terminal.Tty)
                {
                    await terminal.OutAsync("\n", ct).ConfigureAwait(false);
                }

                return status;
            }

            var words = Tokenize(line);
            if (words is ["exit", ..])
            {
                return words.Count > 1 && int.TryParse(words[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var code) ? code & 0xff : status;
            }

            if (words.Count > 0)
            {
                status = await RunLineAsync(line, ct).ConfigureAwait(false);
            }
        }
    }

    private async Task<int> RunLineAsync(string line, CancellationToken ct)
    {
        var words = Tokenize(line);
        return words.Count == 0 ? 0 : await terminal.InterruptibleAsync(c => ShellScript.RunAsync(line, RunAsync, terminal.OutAsync, terminal.ErrAsync, c), ct).ConfigureAwait(false);
    }

    /// <summary>Runs one command, writing to the terminal.</summary>
    private Task<int> RunAsync(IReadOnlyList<string> words, CancellationToken ct) =>
        RunAsync(words, terminal.OutAsync, terminal.ErrAsync, ct);

    private Task<int> RunAsync(IReadOnlyList<string> words, Func<string, CancellationToken, Task> stdout, Func<string, CancellationToken, Task> stderr, CancellationToken ct) =>
        RunAsync(words, string.Empty, stdout, stderr, ct);

    private async Task<int> RunAsync(IReadOnlyList<string> words, string stdin, Func<string, CancellationToken, Task> stdout, Func<string, CancellationToken, Task> stderr, CancellationToken ct)
    {
        switch (words[0])
        {
            case "grep":
                return await PodGrep.RunAsync([.. words.Skip(1)], stdin, stdout, stderr, ct).ConfigureAwait(false);
            case "cat" when words.Count == 1:
                await stdout(stdin, ct).ConfigureAwait(false);
                return 0;
            case "grpc_health_probe":
                return await PodGrpcProbe.RunAsync(ns, [.. words.Skip(1)], network, stdout, stderr, ct).ConfigureAwait(false);
            case var name when network.Commands.Find(name) is { } command:
                return await command(new PodCommandContext(ns, pod, [.. words.Skip(1)], stdin, stdout, stderr), ct).ConfigureAwait(false);
            case "echo":
                var newline = words.Count < 2 || words[1] != "-n";
                await stdout(string.Join(' ', words.Skip(newline ? 1 : 2)) + (newline ? "\n" : ""), ct).ConfigureAwait(false);
                return 0;
            case "hostname":
                await stdout(pod + "\n", ct).ConfigureAwait(false);
                return 0;
            case "true":
                return 0;
            case "false":
                return 1;
            case "exit":
                return words.Count > 1 && int.TryParse(words[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var code) ? code & 0xff : 0;
            case "sleep" when words.Count > 1 && double.TryParse(words[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds >= 0:
                await Task.Delay(TimeSpan.FromSeconds(seconds), time, ct).ConfigureAwait(false);
                return 0;
            case "curl":
                return await new PodCurl(ns, pod, network, time).RunAsync(words.Skip(1).ToList(), stdout, stderr, ct).ConfigureAwait(false);
            case "watch":
                return await WatchAsync(words, ct).ConfigureAwait(false);
            default:
                await stderr($"sh: {words[0]}: command not found\n", ct).ConfigureAwait(false);
                return 127;
        }
    }

    /// <summary><c>watch [-n SECS] [-t] command...</c>: reruns the command and redraws the screen until Ctrl-C.</summary>
    private async Task<int> WatchAsync(IReadOnlyList<string> words, CancellationToken ct)
    {
        var interval = TimeSpan.FromSeconds(2);
        var title = true;
        var i = 1;
        for (; i < words.Count && words[i].StartsWith('-'); i++)
        {
            if (words[i] is "-n" or "--interval" && i + 1 < words.Count
                && double.TryParse(words[i + 1], NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds > 0)
            {
                interval = TimeSpan.FromSeconds(Math.Max(0.1, seconds));
                i++;
            }
            else if (words[i] is "-t" or "--no-title")
            {
                title = false;
            }
            else
            {
                await terminal.ErrAsync($"watch: invalid option -- '{words[i].TrimStart('-')}'\nUsage: watch [-n SECONDS] [-t] command\n", ct).ConfigureAwait(false);
                return 1;
            }
        }

        if (i == words.Count)
        {
            await terminal.ErrAsync("Usage: watch [-n SECONDS] [-t] command\n", ct).ConfigureAwait(false);
            return 1;
        }

        if (!terminal.Tty)
        {
            // As procps' watch: it draws on a terminal and has none to draw on.
            await terminal.ErrAsync("Error opening terminal: unknown.\n", ct).ConfigureAwait(false);
            return 1;
        }

        var command = words.Skip(i).ToList();
        var header = $"Every {interval.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)}s: {string.Join(' ', command)}";
        while (true)
        {
            var output = new StringBuilder();
            Task Capture(string s, CancellationToken _)
            {
                output.Append(s);
                return Task.CompletedTask;
            }

            // The next round is timed from before this one's output, so a clock moved by whoever reads it is not missed.
            var nextRound = Task.Delay(interval, time, ct);
            await RunAsync(command, Capture, Capture, ct).ConfigureAwait(false);
            var screen = new StringBuilder("\u001b[H\u001b[2J");
            if (title)
            {
                var now = time.GetLocalNow().ToString("ddd MMM d HH:mm:ss yyyy", CultureInfo.InvariantCulture);
                screen.Append(header).Append("    ").Append(pod).Append(": ").Append(now).Append("\n\n");
            }

            screen.Append(output);
            await terminal.OutAsync(screen.ToString(), ct).ConfigureAwait(false);
            await nextRound.ConfigureAwait(false);
        }
    }

    /// <summary>Splits a command line into words, honouring single and double quotes and backslashes.</summary>
    internal static List<string> Tokenize(string line)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        var inWord = false;
        char quote = '\0';
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (quote != '\0')
            {
                if (c == quote)
                {
                    quote = '\0';
                }
                else if (c == '\\' && quote == '"' && i + 1 < line.Length && line[i + 1] is '"' or '\\' or '$')
                {
                    word.Append(line[++i]);
                }
                else
                {
                    word.Append(c);
                }
            }
            else if (c is '\'' or '"')
            {
                quote = c;
                inWord = true;
            }
            else if (c == '\\' && i + 1 < line.Length)
            {
                word.Append(line[++i]);
                inWord = true;
            }
            else if (char.IsWhiteSpace(c))
            {
                if (inWord)
                {
                    words.Add(word.ToString());
                    word.Clear();
                    inWord = false;
                }
            }
            else
            {
                word.Append(c);
                inWord = true;
            }
        }

        if (inWord)
        {
            words.Add(word.ToString());
        }

        return words;
    }
}
