using System.Collections.Concurrent;

namespace Flagger.Testing.Pods;

/// <summary>One run of a command inside a simulated pod.</summary>
/// <param name="Namespace">The pod's namespace.</param>
/// <param name="Pod">The pod's name.</param>
/// <param name="Arguments">The words after the command's name.</param>
/// <param name="Stdin">What a pipe feeds it; empty when nothing does.</param>
/// <param name="Out">Writes to its standard output.</param>
/// <param name="Err">Writes to its standard error.</param>
public sealed record PodCommandContext(
    string Namespace,
    string Pod,
    IReadOnlyList<string> Arguments,
    string Stdin,
    Func<string, CancellationToken, Task> Out,
    Func<string, CancellationToken, Task> Err);

/// <summary>A command the pods' shell can run; returns its exit code.</summary>
/// <param name="context">Arguments, input and output.</param>
/// <param name="cancellationToken">Cancelled on Ctrl-C or when the caller gives up.</param>
/// <returns>The exit code.</returns>
public delegate Task<int> PodCommand(PodCommandContext context, CancellationToken cancellationToken);

/// <summary>
/// Commands added to the pods' shell beyond its own (<c>curl</c>, <c>grep</c>, <c>grpc_health_probe</c>, ...): the
/// simulated mesh adds <c>hey</c>. A name not found anywhere is <c>sh: NAME: command not found</c> (exit 127).
/// </summary>
public sealed class PodCommands
{
    private readonly ConcurrentDictionary<string, PodCommand> _commands = new(StringComparer.Ordinal);

    internal PodCommands()
    {
    }

    /// <summary>Adds (or replaces) a command.</summary>
    /// <param name="name">The name typed in the shell, e.g. <c>hey</c>.</param>
    /// <param name="command">What it does.</param>
    /// <returns>Dispose to remove it.</returns>
    public IDisposable Add(string name, PodCommand command)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(command);
        _commands[name] = command;
        return new Remover(() => _commands.TryRemove(new KeyValuePair<string, PodCommand>(name, command)));
    }

    internal PodCommand? Find(string name) => _commands.GetValueOrDefault(name);

    private sealed class Remover(Action remove) : IDisposable
    {
        public void Dispose() => remove();
    }
}

/// <summary>What a command run with <see cref="EmbeddedCluster.ExecAsync"/> printed and returned.</summary>
/// <param name="ExitCode">The exit code.</param>
/// <param name="Stdout">Its standard output.</param>
/// <param name="Stderr">Its standard error.</param>
public sealed record PodExecResult(int ExitCode, string Stdout, string Stderr);
