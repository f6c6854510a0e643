using System.Globalization;

namespace Flagger.Scale;

/// <summary>What one run measured.</summary>
public sealed record ScaleResult
{
    public required int Canaries { get; init; }

    /// <summary>Every API request in the idle window (watches counted when opened) per canary tick.</summary>
    public required double IdleRequestsPerCanaryTick { get; init; }

    /// <summary>GETs and LISTs in the idle window per canary tick: the reads the caches should have answered.</summary>
    public required double IdleReadsPerCanaryTick { get; init; }

    /// <summary>Requests in the idle window by verb.</summary>
    public required IReadOnlyDictionary<string, long> IdleRequestsByVerb { get; init; }

    public required long IdleTicks { get; init; }

    public required double TickLagP50Ms { get; init; }

    public required double TickLagP99Ms { get; init; }

    /// <summary>Operator (harness) process CPU over the window, in cores (1.0 = one core busy).</summary>
    public required double CpuCores { get; init; }

    /// <summary>Bytes the operator's process allocated over the window per tick started (watch, HTTP and the harness's listener included).</summary>
    public double AllocatedBytesPerTick { get; init; } = double.NaN;

    /// <summary>Peak resident set of the operator's process (with the in-process server, the server's too).</summary>
    public required double RssMb { get; init; }

    /// <summary>Resident set with one canary initialized, before the rest were created.</summary>
    public required double IdleRssMb { get; init; }

    /// <summary>From the host's start to the first tick.</summary>
    public required double StartToFirstTickMs { get; init; }

    public required double SettleSeconds { get; init; }

    /// <summary>Patch of the pod template to the <c>New revision detected</c> event, per sample (NaN when not seen).</summary>
    public required IReadOnlyList<double> RevisionDetectMs { get; init; }

    /// <summary>The threshold-th failed check to the VirtualService routing 100 % to the primary, per sample (NaN when not seen).</summary>
    public required IReadOnlyList<double> RollbackMs { get; init; }

    /// <summary>
    /// From the restarted operator host's start to the moment the last canary ticked again (each canary's first
    /// tick after the restart, seen by <see cref="TickProbe"/>).
    /// </summary>
    public double RestartAllTickingSeconds { get; init; } = double.NaN;

    /// <summary>API requests (watches excluded) in a window holding one advancing tick of one canary and nothing else but idle ticks.</summary>
    public double AdvancingTickRequests { get; init; } = double.NaN;

    /// <summary>Those requests by "verb resource", for the log.</summary>
    public string AdvancingTickBreakdown { get; init; } = string.Empty;

    /// <summary>Unrelated Secrets in the cluster (<c>--unrelated-secrets</c>) and their size.</summary>
    public int UnrelatedSecrets { get; init; }

    public int SecretSize { get; init; }

    public double RevisionDetectP50Ms => Median(RevisionDetectMs);

    /// <summary>The slowest rollback (the target is a bound, so the worst sample is the one to compare).</summary>
    public double RollbackMaxMs => RollbackMs.Count == 0 || RollbackMs.Any(double.IsNaN) ? double.NaN : RollbackMs.Max();

    /// <summary>The machine-readable last line.</summary>
    public string Line() => string.Create(
        CultureInfo.InvariantCulture,
        $"canaries={Canaries} idle_requests_per_canary_tick={IdleRequestsPerCanaryTick:0.000} tick_lag_p99_ms={TickLagP99Ms:0.0} rss_mb={RssMb:0} revision_detect_p50_ms={RevisionDetectP50Ms:0} rollback_ms={RollbackMaxMs:0} restart_all_ticking_s={RestartAllTickingSeconds:0.0} advancing_tick_requests={AdvancingTickRequests:0}")
        + (UnrelatedSecrets > 0 ? string.Create(CultureInfo.InvariantCulture, $" unrelated_secrets={UnrelatedSecrets} secret_kb={SecretSize / 1024}") : string.Empty);

    private static double Median(IReadOnlyList<double> values)
    {
        if (values.Count == 0 || values.Any(double.IsNaN))
        {
            return double.NaN;
        }

        var sorted = values.Order().ToArray();
        return TickLag.Percentile(sorted, 50);
    }
}
