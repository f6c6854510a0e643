using System.Text.Json;
using k8s;

namespace Flagger.Reliability.Harness;

/// <summary>One write of a VirtualService as the harness saw it.</summary>
/// <param name="App">The VirtualService (= app) name.</param>
/// <param name="At">Scaled time it was seen.</param>
/// <param name="CanaryWeight">Weight of the canary route.</param>
/// <param name="Live">False for changes replayed at once when a dropped watch resumed: their time is when they were replayed, not written.</param>
public sealed record WeightChange(string App, DateTimeOffset At, int CanaryWeight, bool Live);

/// <summary>
/// Follows every VirtualService write in the apps namespace through the harness's own watch, so a test can check
/// from the cluster's side that the canary weight never advances twice within one analysis interval.
/// </summary>
public sealed class WeightHistory : IAsyncDisposable
{
    private readonly ReliabilityCluster cluster;
    private readonly List<WeightChange> changes = [];
    private readonly CancellationTokenSource stop = new();
    private readonly Task running;

    private WeightHistory(ReliabilityCluster cluster)
    {
        this.cluster = cluster;
        running = RunAsync(stop.Token);
    }

    /// <summary>Starts following the VirtualServices.</summary>
    public static WeightHistory Start(ReliabilityCluster cluster) => new(cluster);

    /// <summary>Every change so far.</summary>
    public IReadOnlyList<WeightChange> Changes
    {
        get
        {
            lock (changes)
            {
                return [.. changes];
            }
        }
    }

    /// <summary>
    /// Pairs of successive canary-weight increases of one app closer together than <paramref name="minimum"/>
    /// (both seen live); empty when every advance waited its interval.
    /// </summary>
    public IReadOnlyList<(WeightChange First, WeightChange Second)> AdvancesCloserThan(TimeSpan minimum)
    {
        var found = new List<(WeightChange, WeightChange)>();
        foreach (var app in Changes.GroupBy(c => c.App))
        {
            WeightChange? previous = null;
            WeightChange? lastAdvance = null;
            foreach (var change in app)
            {
                if (previous is not null && change.CanaryWeight > previous.CanaryWeight)
                {
                    if (lastAdvance is { Live: true } && change.Live && change.At - lastAdvance.At < minimum)
                    {
                        found.Add((lastAdvance, change));
                    }

                    lastAdvance = change;
                }

                previous = change;
            }
        }

        return found;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await running.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopped.
        }

        stop.Dispose();
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        var version = string.Empty;
        var weights = new Dictionary<string, int>(StringComparer.Ordinal);
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                // What the server holds right now: events up to this version are a backlog the (re)started watch
                // replays at once, so the time they are seen is not the time they were written.
                var list = (JsonElement)await cluster.Client.CustomObjects.ListNamespacedCustomObjectAsync(
                    "networking.istio.io", "v1beta1", ReliabilityCluster.Namespace, "virtualservices", cancellationToken: cancellationToken).ConfigureAwait(false);
                var backlogUpTo = Version(list);
                var events = cluster.Client.CustomObjects.WatchListNamespacedCustomObjectAsync(
                    "networking.istio.io", "v1beta1", ReliabilityCluster.Namespace, "virtualservices", resourceVersion: version, cancellationToken: cancellationToken);
                await foreach (var (type, item) in events.ConfigureAwait(false))
                {
                    var vs = (JsonElement)item;
                    version = vs.GetProperty("metadata").GetProperty("resourceVersion").GetString() ?? version;
                    if (type is not (WatchEventType.Added or WatchEventType.Modified) || CanaryWeight(vs) is not { } weight)
                    {
                        continue;
                    }

                    var app = vs.GetProperty("metadata").GetProperty("name").GetString()!;

                    // Only writes that change the weight count: the router may rewrite a VirtualService unchanged.
                    if (weights.TryGetValue(app, out var known) && known == weight)
                    {
                        continue;
                    }

                    weights[app] = weight;
                    lock (changes)
                    {
                        changes.Add(new WeightChange(app, cluster.Now, weight, Version(vs) > backlogUpTo));
                    }
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is HttpRequestException or IOException or k8s.Autorest.HttpOperationException)
            {
                // The connection broke: resume from the last version seen.
                await Task.Delay(TimeSpan.FromMilliseconds(20), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private static long Version(JsonElement item) =>
        long.Parse(item.GetProperty("metadata").GetProperty("resourceVersion").GetString() ?? "0", System.Globalization.CultureInfo.InvariantCulture);

    private static int? CanaryWeight(JsonElement vs)
    {
        if (!vs.TryGetProperty("spec", out var spec) || !spec.TryGetProperty("http", out var http) || http.GetArrayLength() == 0
            || !http[0].TryGetProperty("route", out var routes))
        {
            return null;
        }

        foreach (var route in routes.EnumerateArray())
        {
            var host = route.GetProperty("destination").GetProperty("host").GetString() ?? string.Empty;
            if (host.Split('.')[0].EndsWith("-canary", StringComparison.Ordinal))
            {
                return route.TryGetProperty("weight", out var w) ? w.GetInt32() : 0;
            }
        }

        return null;
    }
}
