using System.CommandLine;
using System.Net.Http;
using Flagger.Cli.Commands;
using k8s.Autorest;

namespace Flagger.Cli;

/// <summary>
/// The <c>flagger</c> command line (also <c>kubectl flagger</c>). Exit codes: 0 done, 1 the answer is no (problems
/// found, not found, refused, a watched canary failed), 2 the command line cannot be acted on (a bad flag, no
/// kubeconfig), 130 interrupted.
/// </summary>
internal static class CliApp
{
    public const int Ok = 0;
    public const int Failed = 1;
    public const int Usage = 2;
    public const int Interrupted = 130;

    public static async Task<int> RunAsync(string[] args, CliConsole console, CancellationToken cancellationToken)
    {
        var root = Build(console);
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            // One line, the unrecognised token first: it is usually the cause of the others.
            var messages = parsed.Errors.Select(e => string.Join(' ', e.Message.Split((char[])['\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries).Select(w => w.Trim())).TrimEnd('.'))
                .OrderBy(m => m.StartsWith("Unrecognized", StringComparison.Ordinal) ? 0 : 1)
                .Distinct(StringComparer.Ordinal);
            await console.Error.WriteLineAsync($"error: {string.Join("; ", messages)} (see '{CommandName} --help')").ConfigureAwait(false);
            return Usage;
        }

        try
        {
            return await parsed.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false, Output = console.Out, Error = console.Error }, cancellationToken).ConfigureAwait(false);
        }
        catch (UsageException e)
        {
            await console.Error.WriteLineAsync($"error: {e.Message}").ConfigureAwait(false);
            return Usage;
        }
        catch (CommandFailedException e)
        {
            await console.Error.WriteLineAsync($"error: {e.Message}").ConfigureAwait(false);
            return Failed;
        }
        catch (Validation.ManifestException e)
        {
            await console.Error.WriteLineAsync($"error: {e.Message}").ConfigureAwait(false);
            return Failed;
        }
        catch (HttpOperationException e)
        {
            var reason = e.Response?.Content is { Length: > 0 } body ? StatusMessage(body) : e.Message;
            await console.Error.WriteLineAsync($"error: the API server answered {(int?)e.Response?.StatusCode} {e.Response?.StatusCode}: {reason}").ConfigureAwait(false);
            return Failed;
        }
        catch (HttpRequestException e)
        {
            await console.Error.WriteLineAsync($"error: cannot reach the API server: {e.Message}").ConfigureAwait(false);
            return Failed;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return Interrupted;
        }
    }

    /// <summary><c>kubectl flagger</c> when run as a kubectl plugin (the binary named kubectl-flagger), else <c>flagger</c>.</summary>
    public static string CommandName { get; } = InvokedAs() == "kubectl-flagger" ? "kubectl flagger" : "flagger";

    // The name the process was started under: a symlink named kubectl-flagger keeps it in argv[0], which the runtime's
    // own command-line arguments replace with the managed assembly's path.
    private static string InvokedAs()
    {
        try
        {
            var argv0 = File.Exists("/proc/self/cmdline") ? File.ReadAllText("/proc/self/cmdline").Split('\0')[0] : Environment.GetCommandLineArgs()[0];
            return Path.GetFileNameWithoutExtension(argv0);
        }
        catch (IOException)
        {
            return "flagger";
        }
    }

    private static RootCommand Build(CliConsole console)
    {
        var root = new RootCommand("Flagger for .NET: watch and steer canary releases, validate manifests offline.");
        root.Options.Add(GlobalOptions.Namespace);
        root.Options.Add(GlobalOptions.Context);
        root.Options.Add(GlobalOptions.Kubeconfig);
        root.Subcommands.Add(GetCommands.Build(console));
        foreach (var gate in GateCommands.Build(console))
        {
            root.Subcommands.Add(gate);
        }

        root.Subcommands.Add(ValidateCommand.Build(console));
        root.Subcommands.Add(MetricsCommand.Build(console));
        root.Subcommands.Add(VersionCommand.Build(console));
        return root;
    }

    // The API server's Status message, without the JSON around it.
    private static string StatusMessage(string body)
    {
        try
        {
            return System.Text.Json.Nodes.JsonNode.Parse(body)?["message"]?.GetValue<string>() ?? body;
        }
        catch (System.Text.Json.JsonException)
        {
            return body;
        }
    }
}

/// <summary>The flags every command takes, with kubectl's names.</summary>
internal static class GlobalOptions
{
    public static readonly Option<string?> Namespace = new("--namespace", "-n") { Description = "The namespace (default: the context's, else default)", Recursive = true };

    public static readonly Option<string?> Context = new("--context") { Description = "The kubeconfig context to use", Recursive = true };

    public static readonly Option<string?> Kubeconfig = new("--kubeconfig") { Description = "Path to the kubeconfig file (default: KUBECONFIG, then ~/.kube/config)", Recursive = true };

    public static Option<string?> Output()
    {
        var output = new Option<string?>("--output", "-o") { Description = "Print the objects as json or yaml" };
        output.AcceptOnlyFromAmong("json", "yaml");
        return output;
    }

    public static KubeConnection Connect(ParseResult parsed) =>
        KubeConnection.Open(parsed.GetValue(Kubeconfig), parsed.GetValue(Context), parsed.GetValue(Namespace));
}
