using System.Diagnostics;
using System.Text;

namespace Flagger.Testing.Tests;

/// <summary>A running kubectl whose stdin the test writes and whose output it reads as it comes (logs -f, exec -i).</summary>
internal sealed class KubectlProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _out = new();
    private readonly StringBuilder _err = new();
    private readonly string _dir;
    private readonly Task _pumps;

    private KubectlProcess(Process process, string dir)
    {
        _process = process;
        _dir = dir;
        _pumps = Task.WhenAll(PumpAsync(process.StandardOutput.BaseStream, _out), PumpAsync(process.StandardError.BaseStream, _err));
    }

    public string Output
    {
        get
        {
            lock (_out)
            {
                return _out.ToString();
            }
        }
    }

    public string Error
    {
        get
        {
            lock (_err)
            {
                return _err.ToString();
            }
        }
    }

    /// <summary>Starts kubectl against the cluster; with <paramref name="pseudoTty"/> it runs under <c>script</c>, so it sees a terminal.</summary>
    public static KubectlProcess Start(EmbeddedCluster cluster, bool pseudoTty, params string[] args)
    {
        var dir = Directory.CreateTempSubdirectory("flagger-kubectl-").FullName;
        var kubeconfig = Path.Combine(dir, "kubeconfig");
        cluster.WriteKubeconfig(kubeconfig);
        string[] full = [Kubectl.Executable, "--kubeconfig", kubeconfig, "--cache-dir", Path.Combine(dir, "cache"), .. args];
        var start = new ProcessStartInfo(pseudoTty ? "script" : full[0])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        if (pseudoTty)
        {
            // util-linux script: -q quiet, -e child's exit code, -c the command; the log goes nowhere.
            foreach (var a in new[] { "-qec", string.Join(' ', full.Select(a => "'" + a + "'")), "/dev/null" })
            {
                start.ArgumentList.Add(a);
            }
        }
        else
        {
            foreach (var a in full.Skip(1))
            {
                start.ArgumentList.Add(a);
            }
        }

        start.Environment["HOME"] = dir;
        return new KubectlProcess(Process.Start(start) ?? throw new InvalidOperationException("could not start " + start.FileName), dir);
    }

    public async Task TypeAsync(string text)
    {
        await _process.StandardInput.WriteAsync(text);
        await _process.StandardInput.FlushAsync(TestCluster.Ct);
    }

    public void CloseInput() => _process.StandardInput.Close();

    /// <summary>Waits until the output contains <paramref name="text"/> (at most 10 s of wall time: a real process).</summary>
    public async Task WaitForOutputAsync(string text)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestCluster.Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        while (!Output.Contains(text, StringComparison.Ordinal))
        {
            if (_process.HasExited)
            {
                await _pumps;
                Assert.Contains(text, Output);
            }

            try
            {
                await Task.Delay(20, timeout.Token);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"kubectl did not print \"{text}\" within 10 s; stdout:\n{Output}\nstderr:\n{Error}");
            }
        }
    }

    public async Task<int> WaitForExitAsync()
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestCluster.Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(15));
        await _process.WaitForExitAsync(timeout.Token);
        await _pumps;
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync(CancellationToken.None);
        }

        await _pumps;
        _process.Dispose();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // best effort
        }
    }

    private static async Task PumpAsync(Stream stream, StringBuilder into)
    {
        var buffer = new byte[4096];
        var decoder = Encoding.UTF8.GetDecoder();
        var chars = new char[8192];
        int read;
        while ((read = await stream.ReadAsync(buffer)) > 0)
        {
            var n = decoder.GetChars(buffer, 0, read, chars, 0);
            lock (into)
            {
                into.Append(chars, 0, n);
            }
        }
    }
}
