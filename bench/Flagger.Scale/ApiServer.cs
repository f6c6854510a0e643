using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Flagger.Testing;
using k8s;
using k8s.Models;

namespace Flagger.Scale;

/// <summary>The embedded API server the operator talks to, wherever it runs, and its request counters.</summary>
public interface IApiServer : IAsyncDisposable
{
    /// <summary>kubeconfig the operator and the harness connect with.</summary>
    string Kubeconfig { get; }

    /// <summary>Requests served so far, by verb and by "verb resource" (watches counted when they open).</summary>
    Task<IReadOnlyDictionary<string, long>> CountsAsync(CancellationToken cancellationToken);
}

/// <summary>The server in the harness's own process: cheap, but its CPU and memory count as the operator's.</summary>
public sealed class InProcessApiServer : IApiServer
{
    private readonly EmbeddedCluster cluster;

    private InProcessApiServer(EmbeddedCluster cluster, string kubeconfig)
    {
        this.cluster = cluster;
        Kubeconfig = kubeconfig;
    }

    public string Kubeconfig { get; }

    public static async Task<InProcessApiServer> StartAsync(ScaleOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var cluster = await EmbeddedCluster.StartAsync(ClusterOptions(options.RolloutDelay), cancellationToken).ConfigureAwait(false);
        var kubeconfig = Path.Combine(Path.GetTempPath(), $"flagger-scale-{Environment.ProcessId}-{Guid.NewGuid():N}.yaml");
        cluster.WriteKubeconfig(kubeconfig);
        return new InProcessApiServer(cluster, kubeconfig);
    }

    public Task<IReadOnlyDictionary<string, long>> CountsAsync(CancellationToken cancellationToken) => Task.FromResult(cluster.Requests.Snapshot());

    public async ValueTask DisposeAsync()
    {
        await cluster.DisposeAsync().ConfigureAwait(false);
        File.Delete(Kubeconfig);
    }

    internal static EmbeddedClusterOptions ClusterOptions(TimeSpan rolloutDelay) => new()
    {
        RolloutDelay = rolloutDelay,

        // Every canary's objects stay in the history; a small one would make a slow informer's resume a 410 and a relist.
        WatchHistoryLimit = 1_000_000,
    };
}

/// <summary>
/// The server in a child process (<c>Flagger.Scale --serve-only</c>), so the harness's CPU and RSS are the
/// operator's alone. The child answers <c>counts</c> on its stdin with one JSON line of its counters.
/// </summary>
public sealed class ChildProcessApiServer : IApiServer
{
    private readonly Process process;
    private readonly SemaphoreSlim exchange = new(1, 1);

    private ChildProcessApiServer(Process process, string kubeconfig)
    {
        this.process = process;
        Kubeconfig = kubeconfig;
    }

    public string Kubeconfig { get; }

    public static async Task<ChildProcessApiServer> StartAsync(ScaleOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var kubeconfig = Path.Combine(Path.GetTempPath(), $"flagger-scale-{Environment.ProcessId}-{Guid.NewGuid():N}.yaml");
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[]
        {
            typeof(ScaleRun).Assembly.Location, "--serve-only", "--kubeconfig", kubeconfig, "--rollout-delay", $"{options.RolloutDelay.TotalMilliseconds}ms",
            "--unrelated-secrets", options.UnrelatedSecrets.ToString(CultureInfo.InvariantCulture), "--secret-size", options.SecretSize.ToString(CultureInfo.InvariantCulture),
        })
        {
            start.ArgumentList.Add(arg);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start the API server process");
        var ready = await process.StandardOutput.ReadLineAsync(cancellationToken).ConfigureAwait(false);
        if (ready != "ready")
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"the API server process did not start: '{ready}'");
        }

        return new ChildProcessApiServer(process, kubeconfig);
    }

    /// <summary>
    /// The child's side: creates <paramref name="unrelatedSecrets"/> Secrets of <paramref name="secretSize"/> random
    /// bytes in namespace <c>unrelated</c> (through its own client, so they go through the API as a user's would),
    /// then serves until stdin closes or says <c>quit</c>.
    /// </summary>
    public static async Task<int> ServeAsync(string kubeconfig, TimeSpan rolloutDelay, int unrelatedSecrets, int secretSize, CancellationToken cancellationToken)
    {
        await using var cluster = await EmbeddedCluster.StartAsync(InProcessApiServer.ClusterOptions(rolloutDelay), cancellationToken).ConfigureAwait(false);
        if (unrelatedSecrets > 0)
        {
            await CreateUnrelatedSecretsAsync(cluster, unrelatedSecrets, secretSize, cancellationToken).ConfigureAwait(false);
        }

        cluster.WriteKubeconfig(kubeconfig);
        await Console.Out.WriteLineAsync("ready").ConfigureAwait(false);
        await Console.Out.FlushAsync(cancellationToken).ConfigureAwait(false);
        while (await Console.In.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } command && command != "quit")
        {
            if (command == "counts")
            {
                await Console.Out.WriteLineAsync(JsonSerializer.Serialize(cluster.Requests.Snapshot())).ConfigureAwait(false);
                await Console.Out.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        return 0;
    }

    private static async Task CreateUnrelatedSecretsAsync(EmbeddedCluster cluster, int count, int size, CancellationToken cancellationToken)
    {
        using var client = cluster.CreateClient();
        await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "unrelated" } }, cancellationToken: cancellationToken).ConfigureAwait(false);
        await Parallel.ForAsync(0, count, new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = cancellationToken }, async (i, ct) =>
        {
            var data = new byte[size];
            Random.Shared.NextBytes(data);
            var secret = new V1Secret
            {
                Metadata = new V1ObjectMeta { Name = string.Create(CultureInfo.InvariantCulture, $"unrelated-{i:D6}") },
                Data = new Dictionary<string, byte[]> { ["blob"] = data },
            };
            await client.CoreV1.CreateNamespacedSecretAsync(secret, "unrelated", cancellationToken: ct).ConfigureAwait(false);
        }).ConfigureAwait(false);
    }

    public async Task<IReadOnlyDictionary<string, long>> CountsAsync(CancellationToken cancellationToken)
    {
        await exchange.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await process.StandardInput.WriteLineAsync("counts".AsMemory(), cancellationToken).ConfigureAwait(false);
            await process.StandardInput.FlushAsync(cancellationToken).ConfigureAwait(false);
            var line = await process.StandardOutput.ReadLineAsync(cancellationToken).ConfigureAwait(false)
                ?? throw new InvalidOperationException("the API server process exited");
            return JsonSerializer.Deserialize<Dictionary<string, long>>(line) ?? [];
        }
        finally
        {
            exchange.Release();
        }
    }

    /// <summary>The child's peak RSS in MB (from /proc; 0 where there is none).</summary>
    public double PeakRssMb() => ProcessStats.PeakRssMb(process.Id);

    public async ValueTask DisposeAsync()
    {
        try
        {
            await process.StandardInput.WriteLineAsync("quit").ConfigureAwait(false);
            await process.StandardInput.FlushAsync().ConfigureAwait(false);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
        }

        process.Dispose();
        exchange.Dispose();
        File.Delete(Kubeconfig);
    }
}
