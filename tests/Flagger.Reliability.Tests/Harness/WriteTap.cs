using System.Diagnostics;
using Flagger.Testing;

namespace Flagger.Reliability.Harness;

/// <summary>One write request as the API server received it.</summary>
/// <param name="At">Wall-clock time since the tap was attached.</param>
/// <param name="Agent">The sender's User-Agent.</param>
/// <param name="Verb">create, update, patch or delete.</param>
/// <param name="Resource">Plural resource, with <c>/status</c> for the status subresource.</param>
/// <param name="Served">False when the sender was cut off, so the write never landed.</param>
public sealed record WriteRecord(TimeSpan At, string Agent, string Verb, string Resource, bool Served);

/// <summary>
/// Records every write the operators send to the cluster, except Lease renewals, so a test can tell which replica
/// drove the canaries when. It is a fault rule that never fails anything: rules are the one place that sees each
/// request, with its sender, as it arrives.
/// </summary>
public sealed class WriteTap
{
    private readonly List<WriteRecord> records = [];
    private readonly Stopwatch clock = Stopwatch.StartNew();

    private WriteTap()
    {
    }

    /// <summary>Every write so far.</summary>
    public IReadOnlyList<WriteRecord> Records
    {
        get
        {
            lock (records)
            {
                return [.. records];
            }
        }
    }

    /// <summary>Attaches a tap; <paramref name="refused"/> says whether a request's sender is cut off.</summary>
    public static WriteTap Attach(FaultInjector faults, Func<ApiRequestInfo, bool> refused)
    {
        ArgumentNullException.ThrowIfNull(faults);
        ArgumentNullException.ThrowIfNull(refused);
        var tap = new WriteTap();
        faults.FailRequests(0.0, 500, r =>
        {
            if (r.Verb is "create" or "update" or "patch" or "delete" && r.Resource != "leases" && !ReliabilityCluster.IsHarness(r))
            {
                var resource = r.Subresource is { Length: > 0 } sub ? $"{r.Resource}/{sub}" : r.Resource;
                lock (tap.records)
                {
                    tap.records.Add(new WriteRecord(tap.clock.Elapsed, r.UserAgent ?? string.Empty, r.Verb, resource, !refused(r)));
                }
            }

            return false;
        });
        return tap;
    }

    /// <summary>Wall-clock time since the tap was attached.</summary>
    public TimeSpan Now => clock.Elapsed;
}
