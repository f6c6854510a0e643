using System.Diagnostics;

namespace Flagger.Testing.Tests;

/// <summary>Runs the real kubectl against a cluster with a throwaway kubeconfig, HOME and cache (never ~/.kube).</summary>
internal sealed class Kubectl : IDisposable
{
    private readonly string _dir;
    private readonly string _kubeconfig;

    public Kubectl(EmbeddedCluster cluster)
    {
        _dir = Directory.CreateTempSubdirectory("flagger-kubectl-").FullName;
        _kubeconfig = Path.Combine(_dir, "kubeconfig");
        cluster.WriteKubeconfig(_kubeconfig);
    }

    public static string Executable { get; } = Find();

    public static string RepoRoot { get; } = FindRepoRoot();

    public async Task<(int Exit, string Out, string Err)> TryRunAsync(params string[] args)
    {
        var start = new ProcessStartInfo(Executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = RepoRoot,
        };
        start.ArgumentList.Add("--kubeconfig");
        start.ArgumentList.Add(_kubeconfig);
        start.ArgumentList.Add("--cache-dir");
        start.ArgumentList.Add(Path.Combine(_dir, "cache"));
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        start.Environment["HOME"] = _dir;
        start.Environment["KUBECONFIG"] = _kubeconfig;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        // Generous (kubectl starts slowly on a loaded 2-core machine), and a kubectl that hangs is killed and
        // reported with what it printed, instead of failing the test with a bare cancellation.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
            return (-1, await stdout, $"kubectl {string.Join(' ', args)} did not exit within 60 s:\n{await stderr}");
        }

        return (process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Runs kubectl and fails the test with its stderr when it exits non-zero.</summary>
    public async Task<string> RunAsync(params string[] args)
    {
        var (exit, output, error) = await TryRunAsync(args);
        Assert.True(exit == 0, $"kubectl {string.Join(' ', args)} exited {exit}:\n{error}\n{output}");
        return output;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // best effort
        }
    }

    private static string Find()
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries).Append("/usr/bin"))
        {
            var candidate = Path.Combine(dir, "kubectl");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        // Never skip: the kubectl tests are the proof that the walkthrough's commands work.
        throw new InvalidOperationException("kubectl not found: apt-get install kubernetes-client");
    }

    private static string FindRepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Flagger.slnx")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("repository root (Flagger.slnx) not found above " + AppContext.BaseDirectory);
    }
}
