using System.Diagnostics;

namespace Flagger.Bench;

/// <summary>The BenchmarkDotNet project's <c>--smoke</c> mode: every benchmark method runs once and succeeds.</summary>
public sealed class BenchmarkSmokeTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Every_benchmark_runs_once_in_smoke_mode()
    {
        // The referenced program is copied beside the tests with its runtimeconfig; run it as CI would.
        var program = Path.Combine(AppContext.BaseDirectory, "Flagger.Benchmarks.dll");
        Assert.True(File.Exists(program), $"{program} is missing: the test project references bench/Flagger.Benchmarks");
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(program);
        start.ArgumentList.Add("--smoke");
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(Ct);
        var error = process.StandardError.ReadToEndAsync(Ct);
        await process.WaitForExitAsync(Ct);

        var lines = (await output).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(process.ExitCode == 0, $"exit {process.ExitCode}\n{await output}\n{await error}");
        Assert.DoesNotContain(lines, l => l.StartsWith("FAIL", StringComparison.Ordinal));
        foreach (var benchmark in new[] { "EngineBenchmarks.IdleTick", "EngineBenchmarks.AnalysisTick", "EngineBenchmarks.MetricCheckTick", "ModelBenchmarks.DeserializeCanary", "ModelBenchmarks.HashPodTemplate", "ApiServerBenchmarks.WatchFanOut" })
        {
            Assert.Contains($"ok   {benchmark}", lines);
        }
    }
}
