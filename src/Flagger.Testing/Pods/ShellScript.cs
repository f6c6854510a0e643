using System.Text;

namespace Flagger.Testing.Pods;

/// <summary>
/// The control operators of a shell line: pipelines (<c>a | b</c>, the last command's exit code counts), lists
/// with <c>&amp;&amp;</c>, <c>||</c> and <c>;</c>. Quotes and backslashes protect operator characters.
/// </summary>
internal static class ShellScript
{
    /// <summary>Runs a command: words, standard input, stdout, stderr; returns its exit code.</summary>
    public delegate Task<int> Runner(IReadOnlyList<string> words, string stdin, Func<string, CancellationToken, Task> stdout, Func<string, CancellationToken, Task> stderr, CancellationToken ct);

    public static async Task<int> RunAsync(string line, Runner run, Func<string, CancellationToken, Task> stdout, Func<string, CancellationToken, Task> stderr, CancellationToken ct)
    {
        var status = 0;
        var previous = ";";
        foreach (var (pipeline, connector) in Parse(line))
        {
            var skip = (previous == "&&" && status != 0) || (previous == "||" && status == 0);
            if (!skip)
            {
                status = await RunPipelineAsync(pipeline, run, stdout, stderr, ct).ConfigureAwait(false);
            }

            previous = connector;
        }

        return status;
    }

    private static async Task<int> RunPipelineAsync(List<List<string>> commands, Runner run, Func<string, CancellationToken, Task> stdout, Func<string, CancellationToken, Task> stderr, CancellationToken ct)
    {
        var input = string.Empty;
        var status = 0;
        for (var i = 0; i < commands.Count; i++)
        {
            if (commands[i].Count == 0)
            {
                continue;
            }

            if (i == commands.Count - 1)
            {
                status = await run(commands[i], input, stdout, stderr, ct).ConfigureAwait(false);
                break;
            }

            var captured = new StringBuilder();
            Task Capture(string s, CancellationToken _)
            {
                captured.Append(s);
                return Task.CompletedTask;
            }

            status = await run(commands[i], input, Capture, stderr, ct).ConfigureAwait(false);
            input = captured.ToString();
        }

        return status;
    }

    /// <summary>Splits a line into pipelines of commands of words, each with the operator that follows it.</summary>
    internal static List<(List<List<string>> Pipeline, string Connector)> Parse(string line)
    {
        var result = new List<(List<List<string>>, string)>();
        var pipeline = new List<List<string>>();
        var words = new List<string>();
        var word = new StringBuilder();
        var inWord = false;
        var quote = '\0';

        void EndWord()
        {
            if (inWord)
            {
                words.Add(word.ToString());
                word.Clear();
                inWord = false;
            }
        }

        void EndCommand()
        {
            EndWord();
            pipeline.Add(words);
            words = [];
        }

        void EndPipeline(string connector)
        {
            EndCommand();
            result.Add((pipeline, connector));
            pipeline = [];
        }

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
            else if (c == '&' && i + 1 < line.Length && line[i + 1] == '&')
            {
                EndPipeline("&&");
                i++;
            }
            else if (c == '|' && i + 1 < line.Length && line[i + 1] == '|')
            {
                EndPipeline("||");
                i++;
            }
            else if (c == '|')
            {
                EndCommand();
            }
            else if (c is ';' or '\n')
            {
                EndPipeline(";");
            }
            else if (char.IsWhiteSpace(c))
            {
                EndWord();
            }
            else
            {
                word.Append(c);
                inWord = true;
            }
        }

        EndPipeline(";");
        return [.. result.Where(r => r.Item1.Any(command => command.Count > 0))];
    }
}
