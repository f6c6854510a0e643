namespace Flagger.Testing.Tests;

public sealed class ExecTests
{
    [Fact]
    public async Task Exec_of_curl_prints_the_podinfo_answer_and_exits_with_curls_code()
    {
        var (cluster, _) = await PodsFixture.StartAsync();
        await using var __ = cluster;
        using var kubectl = new Kubectl(cluster);

        var ok = await kubectl.RunAsync("-n", "test", "exec", "tester", "--", "curl", "-s", "http://podinfo-canary:9898/status/500");
        var code = await kubectl.RunAsync("-n", "test", "exec", "tester", "--", "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "http://podinfo-canary.test.svc.cluster.local:9898/status/503");
        var (failExit, _, failErr) = await kubectl.TryRunAsync("-n", "test", "exec", "tester", "--", "curl", "-sSf", "http://podinfo-canary.test:9898/status/500");
        var (dnsExit, _, dnsErr) = await kubectl.TryRunAsync("-n", "test", "exec", "tester", "--", "curl", "http://podinfo-nowhere:9898/");
        var (refusedExit, _, refusedErr) = await kubectl.TryRunAsync("-n", "test", "exec", "tester", "--", "curl", "http://nothing-behind/");

        Assert.Equal("{\n  \"status\": 500\n}\n", ok);
        Assert.Equal("503", code);
        Assert.Equal(22, failExit);
        Assert.Contains("curl: (22) The requested URL returned error: 500", failErr);
        Assert.Equal(6, dnsExit);
        Assert.Contains("curl: (6) Could not resolve host: podinfo-nowhere", dnsErr);
        Assert.Equal(7, refusedExit);
        Assert.Contains("curl: (7) Failed to connect to nothing-behind port 80", refusedErr);
    }

    [Fact]
    public async Task An_interactive_shell_reads_commands_from_piped_stdin()
    {
        var (cluster, _) = await PodsFixture.StartAsync();
        await using var __ = cluster;
        await using var shell = KubectlProcess.Start(cluster, false, "-n", "test", "exec", "-i", "tester", "--", "sh");

        await shell.TypeAsync("curl -s http://podinfo-canary:9898/healthz\nhostname\nnope\nexit 3\n");
        var exit = await shell.WaitForExitAsync();

        Assert.Equal(3, exit);
        Assert.Equal("{\n  \"status\": \"OK\"\n}\ntester\n", shell.Output);
        Assert.Contains("sh: nope: command not found", shell.Error);
    }

    [Fact]
    public async Task A_shell_on_a_pseudo_tty_echoes_edits_and_interrupts_watch_with_ctrl_c()
    {
        var (cluster, time) = await PodsFixture.StartAsync();
        await using var __ = cluster;
        await using var shell = KubectlProcess.Start(cluster, true, "-n", "test", "exec", "-it", "tester", "--", "sh");

        await shell.WaitForOutputAsync("/ $ ");
        await shell.TypeAsync("echo helo\u007flo\r");
        await shell.WaitForOutputAsync("hello\r\n/ $ ");
        await shell.TypeAsync("watch curl -s http://podinfo-canary:9898/status/500\r");
        await shell.WaitForOutputAsync("Every 2.0s: curl -s http://podinfo-canary:9898/status/500");
        time.Advance(TimeSpan.FromSeconds(2));
        await shell.WaitForOutputAsync("tester: Fri Jan 16 14:00:03 2026");
        await shell.TypeAsync("\u0003");
        await shell.WaitForOutputAsync("^C\r\n/ $ ");
        await shell.TypeAsync("exit 0\r");
        var exit = await shell.WaitForExitAsync();

        Assert.Equal(0, exit);
        Assert.Contains("\u001b[H\u001b[2J", shell.Output);
        Assert.Contains("\"status\": 500\r\n", shell.Output);
    }
}
