using System.Collections.Concurrent;
using System.Text.Json;
using k8s;

namespace Flagger.Scale;

/// <summary>
/// Watches what the harness times after the idle window: the <c>New revision detected</c> Events and the
/// VirtualServices of the sampled canaries. Watches, not polls, so a time is when the API server said so.
/// </summary>
public sealed class RolloutProbe : IAsyncDisposable
{
    private readonly IKubernetes client;
    private readonly TimeProvider time;
    private readonly ScaleMetrics metrics;
    private readonly CancellationTokenSource stop = new();
    private readonly ConcurrentDictionary<string, long> detected = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> rolledBack = new(StringComparer.Ordinal);
    private readonly HashSet<string> sampled;
    private readonly Task events;
    private readonly Task routes;

    public RolloutProbe(IKubernetes client, TimeProvider time, ScaleMetrics metrics, IEnumerable<string> sampled)
    {
        this.client = client;
        this.time = time;
        this.metrics = metrics;
        this.sampled = new HashSet<string>(sampled, StringComparer.Ordinal);
        events = Task.Run(WatchEventsAsync);
        routes = Task.Run(WatchRoutesAsync);
    }

    /// <summary>When the <c>New revision detected</c> event of <paramref name="name"/> arrived (timestamp), if it has.</summary>
    public long? Detected(string name) => detected.TryGetValue(name, out var t) ? t : null;

    /// <summary>When <paramref name="name"/>'s VirtualService first routed 100 % to the primary after the threshold-th failed check.</summary>
    public long? RolledBack(string name) => rolledBack.TryGetValue(name, out var t) ? t : null;

    private async Task WatchEventsAsync()
    {
        const string prefix = "New revision detected! Scaling up ";
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await foreach (var (_, e) in client.CoreV1.WatchListNamespacedEventAsync(Workload.Namespace, onError: _ => { }, cancellationToken: stop.Token).ConfigureAwait(false))
                {
                    if (e.Message?.StartsWith(prefix, StringComparison.Ordinal) == true)
                    {
                        var name = e.Message[prefix.Length..].Split('.')[0];
                        detected.TryAdd(name, time.GetTimestamp());
                    }
                }
            }
            catch (Exception) when (!stop.IsCancellationRequested)
            {
                // The watch ended or failed: open it again.
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task WatchRoutesAsync()
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                var watch = client.CustomObjects.WatchListNamespacedCustomObjectAsync(
                    "networking.istio.io", "v1beta1", Workload.Namespace, "virtualservices", onError: _ => { }, cancellationToken: stop.Token);
                await foreach (var (_, item) in watch.ConfigureAwait(false))
                {
                    var vs = (JsonElement)item;
                    var name = vs.GetProperty("metadata").GetProperty("name").GetString() ?? "";
                    if (sampled.Contains(name)
                        && metrics.FailedChecks(name).Count >= Workload.Threshold
                        && PrimaryWeight(vs, name) == 100)
                    {
                        rolledBack.TryAdd(name, time.GetTimestamp());
                    }
                }
            }
            catch (Exception) when (!stop.IsCancellationRequested)
            {
                // The watch ended or failed: open it again.
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private static int? PrimaryWeight(JsonElement vs, string name)
    {
        if (!vs.TryGetProperty("spec", out var spec) || !spec.TryGetProperty("http", out var http) || http.GetArrayLength() == 0
            || !http[0].TryGetProperty("route", out var route))
        {
            return null;
        }

        foreach (var destination in route.EnumerateArray())
        {
            if (destination.GetProperty("destination").GetProperty("host").GetString() == $"{name}-primary")
            {
                return destination.TryGetProperty("weight", out var w) ? w.GetInt32() : 100;
            }
        }

        return null;
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(events, routes).ConfigureAwait(false);
        stop.Dispose();
    }
}
