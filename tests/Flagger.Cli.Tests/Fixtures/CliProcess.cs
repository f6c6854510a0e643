using System.Diagnostics;

namespace Flagger.Cli.Tests.Fixtures;

/// <summary>What one run of a command printed and its exit code.</summary>
internal sealed record CliResult(int ExitCode, string Output, string Error)
{
    public IReadOnlyList<string> Lines => Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public override string ToString() => $"exit {ExitCode}\nstdout:\n{Output}\nstderr:\n{Error}";
}

/// <summary>Runs the built <c>flagger</c> executable, or kubectl, as processes, the way a user's shell would.</summary>
internal static class CliProcess
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    /// <summary>The tool's apphost, built next to the tests by the project reference.</summary>
    public static string Flagger { get; } = FindFlagger();

    public static Task<CliResult> RunFlaggerAsync(IReadOnlyDictionary<string, string?>? environment, params string[] args) =>
        RunAsync(Flagger, args, environment);

    public static async Task<CliResult> RunAsync(string program, IEnumerable<string> args, IReadOnlyDictionary<string, string?>? environment = null, string? stdin = null)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin is not null,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        // No ambient cluster: each test says which kubeconfig it means.
        start.Environment["KUBECONFIG"] = null;
        start.Environment["HOME"] = Path.Combine(Path.GetTempPath(), "flagger-cli-tests-home");
        foreach (var (key, value) in environment ?? new Dictionary<string, string?>())
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {program}");
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
            process.StandardInput.Close();
        }

        var output = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var error = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        deadline.CancelAfter(Patience);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{Path.GetFileName(program)} {string.Join(' ', args)} did not exit within {Patience.TotalSeconds}s; stdout so far: {await output}");
        }

        return new CliResult(process.ExitCode, await output, await error);
    }

    /// <summary>Starts a command and returns at once, so the test can act while it runs (a watch, say).</summary>
    public static RunningCommand Start(string program, IEnumerable<string> args, IReadOnlyDictionary<string, string?>? environment = null)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["KUBECONFIG"] = null;
        start.Environment["HOME"] = Path.Combine(Path.GetTempPath(), "flagger-cli-tests-home");
        foreach (var (key, value) in environment ?? new Dictionary<string, string?>())
        {
            start.Environment[key] = value;
        }

        return new RunningCommand(Process.Start(start) ?? throw new InvalidOperationException($"could not start {program}"), Patience);
    }

    /// <summary>The path of a tool on PATH, or a failed test naming the package that brings it.</summary>
    public static string Require(string tool, string package)
    {
        var found = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator)
            .Select(dir => Path.Combine(dir, tool))
            .FirstOrDefault(File.Exists);
        Assert.True(found is not null, $"{tool} is not installed: apt-get install {package}");
        return found!;
    }

    private static string FindFlagger()
    {
        // tests/Flagger.Cli.Tests/bin/<Configuration>/net10.0/ -> src/Flagger.Cli/bin/<Configuration>/net10.0/flagger
        var testOutput = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var framework = testOutput.Name;
        var configuration = testOutput.Parent!.Name;
        var path = Path.Combine(Repository.Root, "src", "Flagger.Cli", "bin", configuration, framework, "flagger");
        return File.Exists(path) ? path : throw new InvalidOperationException($"the flagger tool is not built at {path}");
    }
}

/// <summary>The repository's root, for deploy/ and the CLI's build output.</summary>
internal static class Repository
{
    public static readonly string Root = Find();

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Flagger.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"no Flagger.slnx above {AppContext.BaseDirectory}");
    }
}

/// <summary>A command still running: what it has printed so far, and its end.</summary>
internal sealed class RunningCommand : IDisposable
{
    private readonly Process process;
    private readonly TimeSpan patience;
    private readonly System.Text.StringBuilder output = new();
    private readonly Task<string> error;

    public RunningCommand(Process process, TimeSpan patience)
    {
        this.process = process;
        this.patience = patience;
        process.OutputDataReceived += (_, e) =>
        {
            lock (output)
            {
                output.Append(e.Data).Append('\n');
            }
        };
        process.BeginOutputReadLine();
        error = process.StandardError.ReadToEndAsync();
    }

    public string Output
    {
        get
        {
            lock (output)
            {
                return output.ToString();
            }
        }
    }

    /// <summary>Waits until what the command printed satisfies <paramref name="until"/>.</summary>
    public async Task WaitForOutputAsync(Func<string, bool> until, string what)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        deadline.CancelAfter(patience);
        try
        {
            while (!until(Output))
            {
                if (process.HasExited)
                {
                    Assert.Fail($"the command exited ({process.ExitCode}) before printing {what}: {Output}{await error}");
                }

                await Task.Delay(50, deadline.Token);
            }
        }
        catch (OperationCanceledException) when (!TestContext.Current.CancellationToken.IsCancellationRequested)
        {
            Assert.Fail($"the command did not print {what} within {patience.TotalSeconds}s: {Output}");
        }
    }

    /// <summary>Waits for the command to exit and returns what it printed.</summary>
    public async Task<CliResult> ExitAsync()
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        deadline.CancelAfter(patience);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException) when (!TestContext.Current.CancellationToken.IsCancellationRequested)
        {
            Assert.Fail($"the command did not exit within {patience.TotalSeconds}s: {Output}");
        }

        process.WaitForExit(); // the end of the redirected output
        return new CliResult(process.ExitCode, Output, await error);
    }

    public void Dispose()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
        }

        process.Dispose();
    }
}
