using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Flagger.LoadTester;

/// <summary>The webhook payload as the load tester reads it.</summary>
public sealed record HookPayload
{
    /// <summary>Canary name.</summary>
    public string Name { get; init; } = string.Empty;

    /// <summary>Canary namespace.</summary>
    public string Namespace { get; init; } = string.Empty;

    /// <summary>Canary phase.</summary>
    public string? Phase { get; init; }

    /// <summary>The hook's metadata: <c>cmd</c>, <c>type</c> (cmd or bash), <c>logCmdOutput</c>.</summary>
    public Dictionary<string, string>? Metadata { get; init; }

    /// <summary><c>name.namespace</c>, the key of gates.</summary>
    [JsonIgnore]
    public string Key => $"{Name}.{Namespace}";
}

/// <summary>Runs a shell command; the demo swaps in a simulated one.</summary>
public interface ICommandRunner
{
    /// <summary>Runs <paramref name="command"/> to the end and returns its exit code and output.</summary>
    Task<(int ExitCode, string Output)> RunAsync(string command, CancellationToken cancellationToken);
}

/// <summary>Runs commands with <c>sh -c</c>, as the load tester image does (<c>hey</c> comes from Debian's package).</summary>
public sealed class ShellCommandRunner : ICommandRunner
{
    /// <inheritdoc />
    public async Task<(int ExitCode, string Output)> RunAsync(string command, CancellationToken cancellationToken)
    {
        var start = new System.Diagnostics.ProcessStartInfo("sh") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(command);
        using var process = System.Diagnostics.Process.Start(start) ?? throw new InvalidOperationException("sh did not start");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        return (process.ExitCode, (await stdout) + (await stderr));
    }
}

/// <summary>
/// The walkthrough's <c>flagger-loadtester</c>: runs the <c>cmd</c> of a webhook (in the background for
/// <c>type: cmd</c>, one run per distinct command at a time; blocking for <c>type: bash</c>) and serves the manual
/// gates (<c>/gate/*</c>, <c>/rollback/*</c>) keyed by <c>name.namespace</c>.
/// </summary>
public sealed partial class LoadTester(ICommandRunner runner, ILogger<LoadTester> logger)
{
    private readonly ConcurrentDictionary<string, Task> running = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> gates = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> rollbacks = new(StringComparer.Ordinal);

    /// <summary>Commands started so far (for tests and the demo).</summary>
    public ConcurrentQueue<string> Started { get; } = new();

    /// <summary>Maps the load tester's endpoints.</summary>
    public static void Map(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapPost("/", (HookPayload payload, LoadTester tester, CancellationToken ct) => tester.RunAsync(payload, ct));
        app.MapPost("/gate/approve", () => Results.Text("Approved"));
        app.MapPost("/gate/halt", () => Results.Text("Forbidden", statusCode: 403));
        app.MapPost("/gate/check", (HookPayload p, LoadTester t) => Check(t.gates, p, open: "Approved", closed: "Forbidden"));
        app.MapPost("/gate/open", (HookPayload p, LoadTester t) => t.Set(t.gates, p, true, "Gate opened"));
        app.MapPost("/gate/close", (HookPayload p, LoadTester t) => t.Set(t.gates, p, false, "Gate closed"));
        app.MapPost("/rollback/check", (HookPayload p, LoadTester t) => Check(t.rollbacks, p, open: "Rollback requested", closed: "Forbidden"));
        app.MapPost("/rollback/open", (HookPayload p, LoadTester t) => t.Set(t.rollbacks, p, true, "Rollback opened"));
        app.MapPost("/rollback/close", (HookPayload p, LoadTester t) => t.Set(t.rollbacks, p, false, "Rollback closed"));
        app.MapGet("/healthz", () => Results.Text("OK"));
    }

    /// <summary>Runs the hook's command: <c>bash</c> blocks and reports failure, <c>cmd</c> starts it in the background.</summary>
    public async Task<IResult> RunAsync(HookPayload payload, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(payload);
        if (payload.Metadata?.GetValueOrDefault("cmd") is not { Length: > 0 } command)
        {
            return Results.Text("cmd not found in metadata", statusCode: 400);
        }

        var logOutput = payload.Metadata.GetValueOrDefault("logCmdOutput") == "true";
        if (payload.Metadata.GetValueOrDefault("type") == "bash")
        {
            Started.Enqueue(command);
            var (exitCode, output) = await runner.RunAsync(command, cancellationToken);
            if (logOutput)
            {
                LogCommandOutput(command, output);
            }

            return exitCode == 0 ? Results.Text(output) : Results.Text($"command {command} failed: {output}", statusCode: 400);
        }

        // The same load test may be asked for on every tick; one run of it at a time is enough.
        var added = false;
        _ = running.GetOrAdd(command, _ =>
        {
            added = true;
            Started.Enqueue(command);
            return Task.Run(() => RunInBackgroundAsync(command, logOutput), CancellationToken.None);
        });
        return Results.Text(added ? $"command {command} started" : $"command {command} already running");
    }

    private async Task RunInBackgroundAsync(string command, bool logOutput)
    {
        try
        {
            var (exitCode, output) = await runner.RunAsync(command, CancellationToken.None);
            if (exitCode != 0)
            {
                LogCommandFailed(command, exitCode, output);
            }
            else if (logOutput)
            {
                LogCommandOutput(command, output);
            }
        }
        finally
        {
            running.TryRemove(command, out _);
        }
    }

    private static IResult Check(ConcurrentDictionary<string, bool> flags, HookPayload payload, string open, string closed) =>
        flags.GetValueOrDefault(payload.Key) ? Results.Text(open) : Results.Text(closed, statusCode: 403);

    private IResult Set(ConcurrentDictionary<string, bool> flags, HookPayload payload, bool value, string message)
    {
        flags[payload.Key] = value;
        LogGate(message, payload.Key);
        return Results.Text(message);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Message} for {Canary}")]
    private partial void LogGate(string message, string canary);

    // logCmdOutput: "true" asks for the command's output in the load tester's log, as Flagger's load tester does.
    [LoggerMessage(Level = LogLevel.Information, Message = "command {Command} finished: {Output}")]
    private partial void LogCommandOutput(string command, string output);

    [LoggerMessage(Level = LogLevel.Warning, Message = "command {Command} exited with {ExitCode}: {Output}")]
    private partial void LogCommandFailed(string command, int exitCode, string output);
}

/// <summary>Builds the load tester web application.</summary>
public static class LoadTesterHost
{
    /// <summary>Creates the app; <paramref name="runner"/> replaces the shell (the demo simulates <c>hey</c>).</summary>
    public static WebApplication Build(string[] args, ICommandRunner? runner = null) => Build(args, runner, null);

    /// <summary>Creates the app with its logging configured by <paramref name="logging"/> (the demo writes it to the pod's log).</summary>
    public static WebApplication Build(string[] args, ICommandRunner? runner, Action<ILoggingBuilder>? logging)
    {
        var builder = WebApplication.CreateSlimBuilder(args);
        logging?.Invoke(builder.Logging);
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.CamelCase);
        builder.Services.AddSingleton(runner ?? new ShellCommandRunner());
        builder.Services.AddSingleton<LoadTester>();
        var app = builder.Build();
        LoadTester.Map(app);
        return app;
    }
}
