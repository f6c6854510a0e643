using System.Collections.Concurrent;
using System.Globalization;
using Flagger.Testing;

namespace Flagger.Reliability.Harness;

/// <summary>
/// What each operator instance spent its life on, in scaled seconds from its start: when its first request, its
/// last cache list and its first status write arrived, and how many status and VirtualService writes it made. The
/// soak prints one line per instance when <c>FLAGGER_SOAK_TRACE=1</c>, to find where restarts lose time.
/// </summary>
public sealed class LifeTrace
{
    private readonly ConcurrentDictionary<string, Life> lives = new(StringComparer.Ordinal);
    private readonly ReliabilityCluster cluster;

    private LifeTrace(ReliabilityCluster cluster) => this.cluster = cluster;

    /// <summary>Attaches a trace: a fault rule that fails nothing and notes every operator request.</summary>
    public static LifeTrace Attach(ReliabilityCluster cluster)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        var trace = new LifeTrace(cluster);
        cluster.Cluster.Faults.FailRequests(0.0, 500, r =>
        {
            if (!ReliabilityCluster.IsHarness(r) && r.Resource != "leases" && r.UserAgent is { } agent)
            {
                trace.Note(agent, r);
            }

            return false;
        });
        return trace;
    }

    /// <summary>Marks the start of an instance (before its host is built).</summary>
    public void Started(string identity) => lives[identity] = new Life(cluster.Now);

    /// <summary>The instance's line: start, first request, lists, first writes, counts.</summary>
    public string Describe(string identity)
    {
        if (!lives.TryGetValue(identity, out var life))
        {
            return $"{identity}: not traced";
        }

        lock (life)
        {
            string At(DateTimeOffset? t) => t is { } v ? (v - life.Start).TotalSeconds.ToString("F1", CultureInfo.InvariantCulture) : "-";
            return $"{identity}: lived {At(cluster.Now)}s; first request {At(life.FirstRequest)}, last list {At(life.LastList)} ({life.Lists} lists), first canary read {At(life.FirstCanaryRead)}, first status write {At(life.FirstStatusWrite)}; {life.StatusWrites} status writes, {life.RouteWrites} route writes, {life.Requests} requests";
        }
    }

    private void Note(string agent, ApiRequestInfo r)
    {
        var identity = lives.Keys.FirstOrDefault(k => agent.Contains(k, StringComparison.Ordinal));
        if (identity is null || !lives.TryGetValue(identity, out var life))
        {
            return;
        }

        var now = cluster.Now;
        lock (life)
        {
            life.Requests++;
            life.FirstRequest ??= now;
            if (r.Verb == "list")
            {
                life.Lists++;
                life.LastList = now;
            }

            if (r.Resource == "canaries" && r.Verb == "get")
            {
                life.FirstCanaryRead ??= now;
            }

            if (r.Resource == "canaries" && r.Subresource == "status" && r.Verb is "update" or "patch")
            {
                life.StatusWrites++;
                life.FirstStatusWrite ??= now;
            }

            if (r.Resource == "virtualservices" && r.Verb is "update" or "patch")
            {
                life.RouteWrites++;
            }
        }
    }

    private sealed class Life(DateTimeOffset start)
    {
        public DateTimeOffset Start { get; } = start;

        public DateTimeOffset? FirstRequest { get; set; }

        public DateTimeOffset? LastList { get; set; }

        public DateTimeOffset? FirstCanaryRead { get; set; }

        public DateTimeOffset? FirstStatusWrite { get; set; }

        public int Lists { get; set; }

        public int Requests { get; set; }

        public int StatusWrites { get; set; }

        public int RouteWrites { get; set; }
    }
}
