using System.Diagnostics;

namespace Flagger.Deploy.Tests;

/// <summary>
/// Runs a real command-line tool (kubectl, promtool). A missing tool fails the test with the package to install:
/// these tests are the proof that the manifests work with the tools users run, so they never skip.
/// </summary>
internal static class Tool
{
    private static readonly Dictionary<string, string> Packages = new(StringComparer.Ordinal)
    {
        ["kubectl"] = "kubernetes-client",
        ["promtool"] = "prometheus",
    };

    public static async Task<(int Exit, string Out, string Err)> TryRunAsync(string tool, IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(Find(tool))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Repo.Root,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(60)); // generous: kubectl starts slowly on a loaded 2-core machine
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Runs the tool and fails the test with its output when it exits non-zero.</summary>
    public static async Task<string> RunAsync(string tool, params string[] args)
    {
        var (exit, output, error) = await TryRunAsync(tool, args);
        Assert.True(exit == 0, $"{tool} {string.Join(' ', args)} exited {exit}:\n{error}\n{output}");
        return output;
    }

    private static string Find(string tool)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries).Append("/usr/bin"))
        {
            var candidate = Path.Combine(dir, tool);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException($"{tool} not found: apt-get install {Packages.GetValueOrDefault(tool, tool)}");
    }
}
