using System.Diagnostics;

namespace Flagger.Demo.Tests;

/// <summary>The walkthrough's kubectl commands, verbatim with <c>REPO=deploy</c>, against <c>serve</c>.</summary>
public sealed class ServeWalkthroughTests
{
    [Fact]
    public async Task The_walkthrough_kubectl_commands_promote_podinfo_and_roll_back_on_errors_from_a_tester_pod()
    {
        var kubectl = FindKubectl();
        var home = Directory.CreateTempSubdirectory("flagger-demo-serve-").FullName;
        var kubeconfig = Path.Combine(home, "kubeconfig");
        using var output = new StringWriter();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        stop.CancelAfter(TimeSpan.FromSeconds(150));
        var serving = DemoProgram.RunAsync(["serve", "--kubeconfig", kubeconfig, "--speed", "60"], output, stop.Token);
        try
        {
            await WaitUntilAsync(() => Task.FromResult(File.Exists(kubeconfig) || serving.IsCompleted), stop.Token);
            Assert.False(serving.IsCompleted, $"serve ended early:\n{output}");
            var shell = new Shell(kubectl, home, kubeconfig);

            await shell.RunAsync("kubectl apply -f ${REPO}/artifacts/namespaces/test.yaml", stop.Token);
            await shell.RunAsync("kubectl apply -f ${REPO}/artifacts/canaries/deployment.yaml", stop.Token);
            await shell.RunAsync("kubectl apply -f ${REPO}/artifacts/canaries/hpa.yaml", stop.Token);
            await shell.RunAsync("kubectl -n test apply -f ${REPO}/artifacts/loadtester/deployment.yaml", stop.Token);
            await shell.RunAsync("kubectl -n test apply -f ${REPO}/artifacts/loadtester/service.yaml", stop.Token);
            await shell.RunAsync("kubectl apply -f ${REPO}/artifacts/canaries/canary.yaml", stop.Token);
            await WaitUntilAsync(async () => (await shell.RunAsync("kubectl get canaries --all-namespaces", stop.Token)).Contains("Initialized", StringComparison.Ordinal), stop.Token);

            await shell.RunAsync("kubectl -n test set image deployment/podinfo podinfod=quay.io/stefanprodan/podinfo:1.4.1", stop.Token);
            await WaitUntilAsync(async () => (await shell.RunAsync("kubectl get canaries --all-namespaces", stop.Token)).Contains("Succeeded", StringComparison.Ordinal), stop.Token);

            var describe = await shell.RunAsync("kubectl -n test describe canary/podinfo", stop.Token);
            Assert.Contains("New revision detected! Scaling up podinfo.test", describe, StringComparison.Ordinal);
            Assert.Contains("Advance podinfo.test canary weight 10", describe, StringComparison.Ordinal);
            Assert.Contains("Copying podinfo.test template spec to podinfo-primary.test", describe, StringComparison.Ordinal);
            Assert.Contains("Promotion completed! Scaling down podinfo.test", describe, StringComparison.Ordinal);
            var table = await shell.RunAsync("kubectl get canaries --all-namespaces", stop.Token);
            Assert.Matches(@"NAMESPACE\s+NAME\s+STATUS\s+WEIGHT", table);
            Assert.True(System.Text.RegularExpressions.Regex.IsMatch(table, @"test\s+podinfo\s+Succeeded\s"), table);
            var image = await shell.RunAsync("kubectl -n test get deployment/podinfo-primary -o jsonpath={.spec.template.spec.containers[0].image}", stop.Token);
            Assert.Equal("quay.io/stefanprodan/podinfo:1.4.1", image.Trim());
            var log = await shell.RunAsync("kubectl -n istio-system logs deployment/flagger --tail=100 | jq .msg", stop.Token);
            Assert.Contains("\"Promotion completed! Scaling down podinfo.test\"", log, StringComparison.Ordinal);

            // Automated rollback: a new revision, and HTTP 500s generated from a tester pod while it is analysed.
            // kubectl 1.32 needs --image for run and "--" before exec's command (the walkthrough predates both).
            await shell.RunAsync("kubectl -n test set image deployment/podinfo podinfod=quay.io/stefanprodan/podinfo:1.4.2", stop.Token);
            await shell.RunAsync("kubectl -n test run tester --image=quay.io/stefanprodan/podinfo:1.4.0 -- ./podinfo --port=9898", stop.Token);
            await WaitUntilAsync(async () => (await shell.RunAsync("kubectl -n test get pod tester", stop.Token)).Contains("Running", StringComparison.Ordinal), stop.Token);
            await WaitUntilAsync(async () => (await shell.RunAsync("kubectl get canaries --all-namespaces", stop.Token)).Contains("Progressing", StringComparison.Ordinal), stop.Token);
            using (var errors = shell.StartWithTerminal("kubectl -n test exec -it tester -- watch curl http://podinfo-canary:9898/status/500"))
            {
                await WaitUntilAsync(async () => (await shell.RunAsync("kubectl get canaries --all-namespaces", stop.Token)).Contains("Failed", StringComparison.Ordinal), stop.Token);
                errors.Kill(entireProcessTree: true);
            }

            var rolledBack = await shell.RunAsync("kubectl -n test describe canary/podinfo", stop.Token);
            Assert.Matches(@"Halt podinfo\.test advancement success rate \d+\.\d\d% < 99%", rolledBack);
            Assert.Contains("Rolling back podinfo.test failed checks threshold reached 5", rolledBack, StringComparison.Ordinal);
            Assert.Contains("Canary failed! Scaling down podinfo.test", rolledBack, StringComparison.Ordinal);
            image = await shell.RunAsync("kubectl -n test get deployment/podinfo-primary -o jsonpath={.spec.template.spec.containers[0].image}", stop.Token);
            Assert.Equal("quay.io/stefanprodan/podinfo:1.4.1", image.Trim());
        }
        finally
        {
            await stop.CancelAsync();
            Assert.Equal(0, await serving);
            Directory.Delete(home, recursive: true);
        }
    }

    [Fact]
    public async Task Serve_cluster_only_serves_the_embedded_cluster_alone_until_stopped()
    {
        var home = Directory.CreateTempSubdirectory("flagger-demo-cluster-only-").FullName;
        var kubeconfig = Path.Combine(home, "kubeconfig");
        using var output = new StringWriter();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var serving = DemoProgram.RunAsync(["serve", "--cluster-only", "--kubeconfig", kubeconfig], output, stop.Token);

        await WaitUntilAsync(() => Task.FromResult(File.Exists(kubeconfig) || serving.IsCompleted), TestContext.Current.CancellationToken);
        var namespaces = await new Shell(FindKubectl(), home, kubeconfig).RunAsync("kubectl get namespaces -o name", TestContext.Current.CancellationToken);
        await stop.CancelAsync();

        Assert.Equal(0, await serving);
        Assert.Contains("namespace/istio-system", namespaces, StringComparison.Ordinal);
        Assert.Contains("Embedded Kubernetes API server listening on http://127.0.0.1:", output.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("Flagger is running", output.ToString(), StringComparison.Ordinal);
        Directory.Delete(home, recursive: true);
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, CancellationToken cancellationToken)
    {
        while (!await condition())
        {
            // kubectl is an external process on the wall clock; poll it on the wall clock.
            await Task.Delay(TimeSpan.FromMilliseconds(200), TimeProvider.System, cancellationToken);
        }
    }

    private static string FindKubectl() =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':', StringSplitOptions.RemoveEmptyEntries).Append("/usr/bin")
            .Select(d => Path.Combine(d, "kubectl"))
            .FirstOrDefault(File.Exists)
        ?? throw new InvalidOperationException("kubectl not found: apt-get install kubernetes-client");

    /// <summary>Runs a command line with <c>sh -c</c>, as a user would type it, with <c>REPO=deploy</c> in the repository root.</summary>
    private sealed class Shell(string kubectl, string home, string kubeconfig)
    {
        public async Task<string> RunAsync(string command, CancellationToken cancellationToken)
        {
            var start = Start("sh");
            start.ArgumentList.Add("-c");
            start.ArgumentList.Add(command);
            using var process = Process.Start(start)!;
            var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
            var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
            await process.WaitForExitAsync(cancellationToken);
            Assert.True(process.ExitCode == 0, $"{command} exited {process.ExitCode}:\n{await stderr}\n{await stdout}");
            return await stdout;
        }

        /// <summary>
        /// Starts a command that needs a terminal (<c>exec -it … watch</c>) under <c>script</c>, which gives it a
        /// pseudo-terminal as a user's shell would; the caller kills it.
        /// </summary>
        public Process StartWithTerminal(string command)
        {
            var start = Start("script");
            start.ArgumentList.Add("-qc");
            start.ArgumentList.Add(command);
            start.ArgumentList.Add("/dev/null");
            start.RedirectStandardInput = true;
            var process = Process.Start(start)!;
            _ = process.StandardOutput.ReadToEndAsync();
            _ = process.StandardError.ReadToEndAsync();
            return process;
        }

        private ProcessStartInfo Start(string program)
        {
            var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = RepoRoot() };
            start.Environment["PATH"] = $"{Path.GetDirectoryName(kubectl)}:{Environment.GetEnvironmentVariable("PATH")}";
            start.Environment["HOME"] = home;
            start.Environment["KUBECONFIG"] = kubeconfig;
            start.Environment["REPO"] = "deploy";
            return start;
        }

        private static string RepoRoot()
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Flagger.slnx")))
            {
                dir = dir.Parent;
            }

            return dir?.FullName ?? throw new InvalidOperationException("repository root (Flagger.slnx) not found above " + AppContext.BaseDirectory);
        }
    }
}
