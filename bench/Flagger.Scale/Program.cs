using Flagger.Scale;

// The scale harness of issue 7. Its last stdout line is machine-readable:
// canaries=N idle_requests_per_canary_tick=X tick_lag_p99_ms=Y rss_mb=Z revision_detect_p50_ms=R rollback_ms=B
//   restart_all_ticking_s=S advancing_tick_requests=A [unrelated_secrets=M secret_kb=K]
using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};

// SIGTERM cancels the run as Ctrl+C does (the operator host's own handler only stopped the host, so the harness
// kept waiting); a second SIGTERM exits at once. The child API server exits when its stdin closes.
using var terminate = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, context =>
{
    context.Cancel = true;
    if (stop.IsCancellationRequested)
    {
        Environment.Exit(143);
    }

    stop.Cancel();
});

if (args.Contains("--serve-only"))
{
    var kubeconfig = args.SkipWhile(a => a != "--kubeconfig").Skip(1).FirstOrDefault() ?? throw new ArgumentException("--serve-only needs --kubeconfig PATH");
    var delay = args.SkipWhile(a => a != "--rollout-delay").Skip(1).FirstOrDefault() is { } d ? ScaleOptions.ParseDuration(d) : TimeSpan.FromMilliseconds(200);
    var secrets = args.SkipWhile(a => a != "--unrelated-secrets").Skip(1).FirstOrDefault() is { } n ? int.Parse(n, System.Globalization.CultureInfo.InvariantCulture) : 0;
    var size = args.SkipWhile(a => a != "--secret-size").Skip(1).FirstOrDefault() is { } b ? ScaleOptions.ParseSize(b) : 100 * 1024;
    return await ChildProcessApiServer.ServeAsync(kubeconfig, delay, secrets, size, stop.Token);
}

ScaleOptions options;
try
{
    options = ScaleOptions.Parse(args);
}
catch (Exception e) when (e is ArgumentException or FormatException)
{
    await Console.Error.WriteLineAsync(e.Message);
    return 2;
}

var result = await new ScaleRun(options, Console.Out).RunAsync(stop.Token);
Console.WriteLine($"idle requests by verb: {string.Join(' ', result.IdleRequestsByVerb.Select(kv => $"{kv.Key}={kv.Value}"))}; idle reads per canary tick {result.IdleReadsPerCanaryTick:0.000}");
Console.WriteLine($"ticks {result.IdleTicks}, tick lag p50 {result.TickLagP50Ms:0.0} ms p99 {result.TickLagP99Ms:0.0} ms, CPU {result.CpuCores:0.000} cores, {result.AllocatedBytesPerTick:0} B allocated per tick, idle RSS {result.IdleRssMb:0} MB, start to first tick {result.StartToFirstTickMs:0} ms, settle {result.SettleSeconds:0.0} s");
Console.WriteLine(result.Line());
return double.IsNaN(result.RevisionDetectP50Ms) || double.IsNaN(result.RollbackMaxMs) ? 1 : 0;
