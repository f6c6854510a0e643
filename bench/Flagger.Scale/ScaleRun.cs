using System.Diagnostics;
using System.Globalization;
using Flagger.Analysis;
using Flagger.Metrics;
using Flagger.Model;
using Flagger.Operator;
using Flagger.Store;
using k8s;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Flagger.Scale;

/// <summary>
/// One run of the scale harness: the embedded API server, the operator host as production composes it, N idle
/// canaries measured over a window, then a few new revisions that fail their checks, timed from the watch.
/// </summary>
public sealed class ScaleRun(ScaleOptions options, TextWriter log)
{
    private readonly TimeProvider time = TimeProvider.System;

    public async Task<ScaleResult> RunAsync(CancellationToken cancellationToken)
    {
        await using IApiServer server = options.OutOfProcess
            ? await ChildProcessApiServer.StartAsync(options, cancellationToken).ConfigureAwait(false)
            : await InProcessApiServer.StartAsync(options, cancellationToken).ConfigureAwait(false);
        using var client = new k8s.Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(server.Kubeconfig));
        var workload = new Workload(client, options);
        await workload.CreateNamespaceAsync(cancellationToken).ConfigureAwait(false);

        // One canary exists before the operator starts, so that start-to-first-tick and the idle RSS mean something.
        await workload.CreateAsync(0, cancellationToken).ConfigureAwait(false);
        using var lag = new TickLag(time);
        var metrics = new ScaleMetrics(time);
        var probe = new TickProbe(time);
        var app = BuildOperator(server.Kubeconfig, metrics, probe);
        try
        {
            var starting = time.GetTimestamp();
            await OperatorHost.StartAsync(app, cancellationToken).ConfigureAwait(false);
            var store = app.Services.GetRequiredService<ICanaryStore>();
            // Unrelated Secrets are all listed before the first tick: give that list time (it is what is measured).
            var firstTickTimeout = options.UnrelatedSecrets > 0 ? TimeSpan.FromMinutes(10) : TimeSpan.FromSeconds(30);
            await WaitAsync(() => Task.FromResult(lag.FirstTick != 0), firstTickTimeout, "the first tick", cancellationToken).ConfigureAwait(false);
            var startToFirstTick = time.GetElapsedTime(starting, lag.FirstTick).TotalMilliseconds;
            await WaitAsync(() => SettledAsync(store, 1, cancellationToken), TimeSpan.FromSeconds(30), "the first canary to initialize", cancellationToken).ConfigureAwait(false);
            var idleRss = ProcessStats.RssMb(Environment.ProcessId);
            log.WriteLine(Invariant($"operator started: first tick after {startToFirstTick:0} ms, RSS with one canary {idleRss:0} MB"));

            var settling = time.GetTimestamp();
            await Parallel.ForEachAsync(
                Enumerable.Range(1, options.Canaries - 1),
                new ParallelOptions { MaxDegreeOfParallelism = options.CreateParallelism, CancellationToken = cancellationToken },
                async (i, ct) => await workload.CreateAsync(i, ct).ConfigureAwait(false)).ConfigureAwait(false);
            log.WriteLine(Invariant($"created {options.Canaries} canaries in {time.GetElapsedTime(settling).TotalSeconds:0.0} s"));
            await WaitAsync(() => SettledAsync(store, options.Canaries, cancellationToken), options.SettleTimeout, "every canary to initialize", cancellationToken).ConfigureAwait(false);
            var settled = time.GetElapsedTime(settling).TotalSeconds;
            log.WriteLine(Invariant($"all {options.Canaries} canaries Initialized after {settled:0.0} s"));

            // One more interval, so that the initialisation ticks are over and every schedule is on its idle cadence.
            await Task.Delay(options.Interval + TimeSpan.FromSeconds(1), time, cancellationToken).ConfigureAwait(false);
            var window = await MeasureIdleAsync(server, lag, cancellationToken).ConfigureAwait(false);
            var rss = ProcessStats.PeakRssMb(Environment.ProcessId);
            if (server is ChildProcessApiServer child)
            {
                log.WriteLine(Invariant($"API server process peak RSS {child.PeakRssMb():0} MB"));
            }

            // A restart: the host stopped and a new one built and started in the same process, as a new pod would.
            await app.StopAsync(cancellationToken).ConfigureAwait(false);
            await app.DisposeAsync().ConfigureAwait(false);
            app = BuildOperator(server.Kubeconfig, metrics, probe);
            probe.Arm();
            using var self = Process.GetCurrentProcess();
            var cpuBefore = self.TotalProcessorTime;
            var restarting = time.GetTimestamp();
            await OperatorHost.StartAsync(app, cancellationToken).ConfigureAwait(false);
            var started = time.GetElapsedTime(restarting).TotalSeconds;
            store = app.Services.GetRequiredService<ICanaryStore>();
            await WaitAsync(() => Task.FromResult(probe.Ticked >= options.Canaries), options.SettleTimeout, "every canary to tick after the restart", cancellationToken).ConfigureAwait(false);
            var restartSeconds = time.GetElapsedTime(restarting, probe.LastFirstTick).TotalSeconds;
            self.Refresh();
            log.WriteLine(Invariant($"restart: every canary ticked again {restartSeconds:0.0} s after the new host's start (StartAsync returned after {started:0.0} s, first canary ticked after {time.GetElapsedTime(restarting, probe.FirstTick).TotalSeconds:0.0} s; operator process CPU {(self.TotalProcessorTime - cpuBefore).TotalSeconds:0.0} s, load {(File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "?")})"));

            var (advancing, breakdown) = await MeasureAdvancingTickAsync(server, workload, store, cancellationToken).ConfigureAwait(false);
            var (detect, rollback) = await SampleRolloutsAsync(client, workload, metrics, store, cancellationToken).ConfigureAwait(false);
            await app.StopAsync(cancellationToken).ConfigureAwait(false);
            return new ScaleResult
            {
                Canaries = options.Canaries,
                IdleRequestsPerCanaryTick = window.Ticks == 0 ? double.NaN : (double)window.Requests.Values.Sum() / window.Ticks,
                IdleReadsPerCanaryTick = window.Ticks == 0 ? double.NaN : (double)(window.Requests.GetValueOrDefault("get") + window.Requests.GetValueOrDefault("list")) / window.Ticks,
                IdleRequestsByVerb = window.Requests,
                IdleTicks = window.Ticks,
                TickLagP50Ms = TickLag.Percentile(window.Lags, 50),
                TickLagP99Ms = TickLag.Percentile(window.Lags, 99),
                CpuCores = window.CpuCores,
                AllocatedBytesPerTick = window.Ticks == 0 ? double.NaN : (double)window.AllocatedBytes / window.Ticks,
                RssMb = rss,
                IdleRssMb = idleRss,
                StartToFirstTickMs = startToFirstTick,
                SettleSeconds = settled,
                RevisionDetectMs = detect,
                RollbackMs = rollback,
                RestartAllTickingSeconds = restartSeconds,
                AdvancingTickRequests = advancing,
                AdvancingTickBreakdown = breakdown,
                UnrelatedSecrets = options.UnrelatedSecrets,
                SecretSize = options.SecretSize,
            };
        }
        finally
        {
            await app.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The requests of one advancing tick: a canary not sampled below gets a new revision whose checks pass; once
    /// its weight reached the first step, a window from half an interval after that tick to half an interval after
    /// the next (the step to the second weight) holds that one tick whole, beside idle ticks that cost nothing.
    /// Watches opened in the window (an informer's periodic reopen) are not the tick's and are left out.
    /// </summary>
    private async Task<(double Requests, string Breakdown)> MeasureAdvancingTickAsync(IApiServer server, Workload workload, ICanaryStore store, CancellationToken cancellationToken)
    {
        if (options.Canaries <= options.Samples)
        {
            log.WriteLine("advancing tick: not measured (every canary is a rollback sample; use more canaries than --samples)");
            return (double.NaN, string.Empty);
        }

        var name = Workload.Name(options.Canaries - 1);
        await workload.SetImageAsync(name, "ghcr.io/stefanprodan/podinfo:6.0.2", cancellationToken).ConfigureAwait(false);
        var deadline = (options.Interval * 6) + TimeSpan.FromSeconds(30);
        await WaitAsync(() => WeightIsAsync(store, name, Workload.StepWeight, cancellationToken), deadline, $"{name} to reach weight {Workload.StepWeight}", cancellationToken).ConfigureAwait(false);
        await Task.Delay(options.Interval / 2, time, cancellationToken).ConfigureAwait(false);
        var before = await server.CountsAsync(cancellationToken).ConfigureAwait(false);
        await WaitAsync(() => WeightIsAsync(store, name, 2 * Workload.StepWeight, cancellationToken), deadline, $"{name} to reach weight {2 * Workload.StepWeight}", cancellationToken).ConfigureAwait(false);
        await Task.Delay(options.Interval / 2, time, cancellationToken).ConfigureAwait(false);
        var after = await server.CountsAsync(cancellationToken).ConfigureAwait(false);

        var changed = after.Where(kv => kv.Key.Contains(' ', StringComparison.Ordinal) && !kv.Key.StartsWith("watch ", StringComparison.Ordinal) && kv.Value != before.GetValueOrDefault(kv.Key))
            .Select(kv => (kv.Key, Delta: kv.Value - before.GetValueOrDefault(kv.Key)))
            .ToList();
        var breakdown = string.Join(' ', changed.Select(c => Invariant($"{c.Key.Replace(' ', ':')}={c.Delta}")));
        var watches = after.GetValueOrDefault("watch") - before.GetValueOrDefault("watch");
        log.WriteLine(Invariant($"advancing tick of {name} ({Workload.StepWeight} -> {2 * Workload.StepWeight}): {changed.Sum(c => c.Delta)} requests: {breakdown} (watches opened in the window, left out: {watches})"));
        return (changed.Sum(c => c.Delta), breakdown);
    }

    private static async Task<bool> WeightIsAsync(ICanaryStore store, string name, int weight, CancellationToken cancellationToken) =>
        (await store.GetCanaryAsync(Workload.Namespace, name, cancellationToken).ConfigureAwait(false))?.Status?.CanaryWeight == weight;

    private async Task<IdleWindow> MeasureIdleAsync(IApiServer server, TickLag lag, CancellationToken cancellationToken)
    {
        using var self = Process.GetCurrentProcess();
        var before = await server.CountsAsync(cancellationToken).ConfigureAwait(false);
        var cpu = self.TotalProcessorTime;
        var ticks = lag.Ticks;
        var allocated = GC.GetTotalAllocatedBytes();
        var started = time.GetTimestamp();
        lag.Record();
        await Task.Delay(options.Window, time, cancellationToken).ConfigureAwait(false);
        var lags = lag.Stop();
        var elapsed = time.GetElapsedTime(started);
        ticks = lag.Ticks - ticks;
        allocated = GC.GetTotalAllocatedBytes() - allocated;
        self.Refresh();
        var cores = (self.TotalProcessorTime - cpu) / elapsed;
        var after = await server.CountsAsync(cancellationToken).ConfigureAwait(false);

        // Counters are keyed by verb and by "verb resource"; the verbs alone add up to the total.
        var requests = after.Where(kv => !kv.Key.Contains(' ', StringComparison.Ordinal))
            .Select(kv => (kv.Key, Delta: kv.Value - before.GetValueOrDefault(kv.Key)))
            .Where(kv => kv.Delta != 0)
            .ToDictionary(kv => kv.Key, kv => kv.Delta, StringComparer.Ordinal);
        var byResource = after.Where(kv => kv.Key.Contains(' ', StringComparison.Ordinal) && kv.Value != before.GetValueOrDefault(kv.Key))
            .Select(kv => Invariant($"{kv.Key}={kv.Value - before.GetValueOrDefault(kv.Key)}"));
        log.WriteLine(Invariant($"idle window {elapsed.TotalSeconds:0.0} s: {ticks} ticks, {lags.Length} lag samples, CPU {cores:0.000} cores, allocated {allocated / 1024.0 / 1024.0:0.0} MB, requests: {string.Join(' ', byResource)}"));
        return new IdleWindow(requests, ticks, lags, cores, allocated);
    }

    private async Task<(double[] Detect, double[] Rollback)> SampleRolloutsAsync(k8s.Kubernetes client, Workload workload, ScaleMetrics metrics, ICanaryStore store, CancellationToken cancellationToken)
    {
        var names = Enumerable.Range(0, Math.Min(options.Samples, options.Canaries)).Select(Workload.Name).ToArray();
        foreach (var name in names)
        {
            metrics.Fail(name);
        }

        await using var probe = new RolloutProbe(client, time, metrics, names);

        // The watches must be open before the patches, or an early event would be missed.
        await Task.Delay(TimeSpan.FromSeconds(1), time, cancellationToken).ConfigureAwait(false);
        var patched = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var name in names)
        {
            patched[name] = time.GetTimestamp();
            await workload.SetImageAsync(name, "ghcr.io/stefanprodan/podinfo:6.0.1", cancellationToken).ConfigureAwait(false);
        }

        // New revision, scale-up, the first step, then `threshold` failing checks, one per interval.
        var deadline = (options.Interval * (Workload.Threshold + 4)) + TimeSpan.FromSeconds(30);
        try
        {
            await WaitAsync(() => Task.FromResult(names.All(n => probe.RolledBack(n) is not null)), deadline, "the sampled canaries to roll back", cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException e)
        {
            log.WriteLine(e.Message);

            // Say where each sample stopped, so a missing time can be explained.
            foreach (var name in names)
            {
                var status = (await store.GetCanaryAsync(Workload.Namespace, name, cancellationToken).ConfigureAwait(false))?.Status;
                log.WriteLine(Invariant($"  {name}: phase {status?.Phase} weight {status?.CanaryWeight} failedChecks {status?.FailedChecks} failing queries {metrics.FailedChecks(name).Count} detected {probe.Detected(name) is not null} rolled back {probe.RolledBack(name) is not null}"));
                var condition = status?.Conditions is [var first, ..] ? first : null;
                log.WriteLine(Invariant($"    condition: {condition?.Reason} {condition?.Message}"));

                // What the API server holds for the canary's Deployment: tells a slow controller from a stale cache.
                var target = await client.AppsV1.ReadNamespacedDeploymentAsync(name, Workload.Namespace, cancellationToken: cancellationToken).ConfigureAwait(false);
                var available = target.Status?.Conditions?.FirstOrDefault(c => c.Type == "Progressing");
                log.WriteLine(Invariant($"    deployment: rv {target.Metadata.ResourceVersion} generation {target.Metadata.Generation} observed {target.Status?.ObservedGeneration} replicas {target.Spec?.Replicas} updated {target.Status?.UpdatedReplicas} available {target.Status?.AvailableReplicas} progressing {available?.Reason}"));
            }
        }

        var detect = names.Select(n => probe.Detected(n) is { } t ? time.GetElapsedTime(patched[n], t).TotalMilliseconds : double.NaN).ToArray();
        var rollback = names.Select(n =>
        {
            var failed = metrics.FailedChecks(n);
            return probe.RolledBack(n) is { } t && failed.Count >= Workload.Threshold
                ? time.GetElapsedTime(failed[Workload.Threshold - 1], t).TotalMilliseconds
                : double.NaN;
        }).ToArray();
        log.WriteLine(Invariant($"revision detect ms: {string.Join(' ', detect.Select(d => d.ToString("0", CultureInfo.InvariantCulture)))}"));
        log.WriteLine(Invariant($"rollback ms: {string.Join(' ', rollback.Select(d => d.ToString("0", CultureInfo.InvariantCulture)))}"));
        return (detect, rollback);
    }

    private WebApplication BuildOperator(string kubeconfig, ScaleMetrics metrics, TickProbe probe) => OperatorHost.Build(
        [
            "-kubeconfig", kubeconfig,
            "-port", "0",
            "-log-level", "error",
            "-mesh-provider", "istio",
            "-metrics-server", "http://prometheus.scale:9090",
        ],
        services =>
        {
            // Flagger's 10 s floor is lowered only when the run asks for a shorter interval (the CI smoke).
            services.Configure<EngineOptions>(o => o.MinimumInterval = options.Interval < o.MinimumInterval ? options.Interval : o.MinimumInterval);
            services.RemoveAllKeyed<IMetricsProviderFactory>("prometheus");
            services.AddKeyedSingleton<IMetricsProviderFactory>("prometheus", metrics);
            services.AddSingleton(time);
            probe.Decorate(services);
        });

    private static async Task<bool> SettledAsync(ICanaryStore store, int count, CancellationToken cancellationToken)
    {
        for (var i = 0; i < count; i++)
        {
            var canary = await store.GetCanaryAsync(Workload.Namespace, Workload.Name(i), cancellationToken).ConfigureAwait(false);
            if (canary?.Status?.Phase != CanaryPhase.Initialized)
            {
                return false;
            }
        }

        return true;
    }

    private async Task WaitAsync(Func<Task<bool>> condition, TimeSpan timeout, string what, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        while (!await condition().ConfigureAwait(false))
        {
            if (time.GetElapsedTime(started) > timeout)
            {
                throw new TimeoutException($"timed out after {timeout.TotalSeconds:0} s waiting for {what}");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), time, cancellationToken).ConfigureAwait(false);
        }
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private sealed record IdleWindow(IReadOnlyDictionary<string, long> Requests, long Ticks, double[] Lags, double CpuCores, long AllocatedBytes);
}
