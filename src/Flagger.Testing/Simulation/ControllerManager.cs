using System.Text.Json.Nodes;
using System.Threading.Channels;
using Flagger.Testing.Storage;

namespace Flagger.Testing.Simulation;

/// <summary>
/// The simulated kube-controller-manager: Deployment and DaemonSet status follow their spec after a delay on the
/// cluster's <see cref="TimeProvider"/>, and HorizontalPodAutoscalers keep their target within min/max replicas.
/// One loop handles store changes and timers in order, so its writes never race each other.
/// </summary>
internal sealed partial class ControllerManager(ObjectStore store, EmbeddedClusterOptions options) : IAsyncDisposable
{
    private readonly Channel<object> _queue = Channel.CreateUnbounded<object>(); // not SingleReader: its reader cannot Count, which SettleAsync needs
    private readonly Dictionary<string, Rollout> _rollouts = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private Task _loop = Task.CompletedTask;

    private ResourceType Hpas => store.Registry.Find("autoscaling", "v2", "horizontalpodautoscalers")!;

    public void Start()
    {
        store.Observe(change =>
        {
            if (change.Resource.Group is "apps" or "autoscaling" || IsStandalonePod(change) || IsRestartedPod(change))
            {
                // Stamped now, not when the loop gets to it: a test may advance a fake clock in between.
                _queue.Writer.TryWrite(new Queued(change, options.TimeProvider.GetUtcNow()));
            }
        });
        _loop = Task.Run(LoopAsync);
    }

    /// <summary>The last unexpected failure of the loop, for diagnosis.</summary>
    public Exception? LastError { get; private set; }

    /// <summary>Completes once every change and timer queued so far, and the writes they caused, are handled.</summary>
    public async Task SettleAsync(CancellationToken ct)
    {
        for (var round = 0; round < 100; round++)
        {
            var marker = new Marker();
            _queue.Writer.TryWrite(marker);
            if (await Task.WhenAny(marker.Done.Task, _loop).WaitAsync(ct).ConfigureAwait(false) != marker.Done.Task)
            {
                throw new InvalidOperationException("the simulated controller-manager has stopped", _loop.Exception);
            }

            if (marker.QuietBefore)
            {
                if (LastError is { } error)
                {
                    throw new InvalidOperationException("the simulated controller-manager failed", error);
                }

                return;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // stopping
        }

        foreach (var r in _rollouts.Values)
        {
            r.Timer?.Dispose();
        }

        DisposePodTimers();

        _stop.Dispose();
    }

    private async Task LoopAsync()
    {
        var handledSinceMarker = false;
        await foreach (var item in _queue.Reader.ReadAllAsync(_stop.Token).ConfigureAwait(false))
        {
            if (item is Marker marker)
            {
                marker.QuietBefore = !handledSinceMarker && _queue.Reader.Count == 0;
                handledSinceMarker = false;
                marker.Done.TrySetResult();
                continue;
            }

            handledSinceMarker = true;
            try
            {
                Handle(item);
            }
            catch (Api.ApiException)
            {
                // The object changed or vanished under us; the change that caused it is queued and handled next.
            }
#pragma warning disable CA1031 // A simulator bug must not stop the loop; it is surfaced through LastError.
            catch (Exception e)
#pragma warning restore CA1031
            {
                LastError = e;
            }
        }
    }

    private void Handle(object item)
    {
        switch (item)
        {
            case Queued { Change: { Resource.Kind: "Deployment" or "DaemonSet" } c } q:
                Reconcile(c.Resource, Meta.Namespace(c.Object), Meta.Name(c.Object), timerFired: false, q.At);
                if (c.Resource.Kind == "Deployment" && c.Type != "DELETED")
                {
                    foreach (var hpa in store.List(Hpas, Meta.Namespace(c.Object), Selector.Everything, Selector.Everything).Items)
                    {
                        HpaController.Reconcile(store, Hpas, hpa);
                    }
                }

                break;
            case Queued { Change: { Resource.Kind: "HorizontalPodAutoscaler", Type: not "DELETED" } c }:
                HpaController.Reconcile(store, Hpas, c.Object);
                break;
            case Queued { Change: { Resource.Kind: "Pod", Type: "MODIFIED" } c } q:
                RestartPod(c, q.At);
                break;
            case Queued { Change: { Resource.Kind: "Pod" } c } q:
                StartStandalonePod(c, q.At);
                break;
            case PodStarted p:
                MarkStandalonePodRunning(p);
                break;
            case TimerFired t:
                Reconcile(t.Type, t.Namespace, t.Name, timerFired: true, options.TimeProvider.GetUtcNow());
                break;
        }
    }

    private void Reconcile(ResourceType type, string? ns, string name, bool timerFired, DateTimeOffset changedAt)
    {
        var key = $"{type.Kind}/{ns}/{name}";
        var obj = store.TryGet(type, ns, name);
        _rollouts.TryGetValue(key, out var rollout);
        if (obj is null || Meta.IsDeleting(obj))
        {
            rollout?.Timer?.Dispose();
            _rollouts.Remove(key);
            return;
        }

        var isDaemonSet = type.Kind == "DaemonSet";
        var template = obj["spec"]?["template"] as JsonObject;
        var desired = isDaemonSet ? ScheduledNodes(template) : Int(obj["spec"]?["replicas"], 1);
        var hash = WorkloadStatus.TemplateHash(template);
        var generation = Meta.Generation(obj);
        var knobs = PodTemplateKnobs.From(template);
        var missingImage = options.Images?.FirstMissing(template?["spec"] as JsonObject, store);
        if (rollout is null || rollout.Generation != generation || rollout.Desired != desired)
        {
            rollout?.Timer?.Dispose();
            var ready = Int(obj["status"]?[isDaemonSet ? "numberReady" : "readyReplicas"], 0);
            var readyAtStart = rollout is null || rollout.TemplateHash != hash ? 0 : Math.Min(ready, desired);
            rollout = new Rollout(generation, desired, hash, readyAtStart);
            _rollouts[key] = rollout;
            if (readyAtStart >= desired)
            {
                rollout.Phase = RolloutPhase.Complete;
                WriteStatus(type, obj, rollout, desired);
                return;
            }

            WriteStatus(type, obj, rollout, readyAtStart);
            var wait = knobs.NeverReady || missingImage is not null
                ? TimeSpan.FromSeconds(Int(obj["spec"]?["progressDeadlineSeconds"], 600))
                : knobs.ReadyAfter ?? options.RolloutDelay;
            Schedule(rollout, new TimerFired(type, ns, name, generation), changedAt + wait);
            return;
        }

        if (timerFired && rollout.Phase == RolloutPhase.Progressing)
        {
            var stuck = knobs.NeverReady || knobs.DeadlineExceeded || missingImage is not null;
            rollout.Phase = stuck ? RolloutPhase.DeadlineExceeded : RolloutPhase.Complete;
            WriteStatus(type, obj, rollout, stuck ? rollout.ReadyAtStart : desired);
        }
    }

    private void WriteStatus(ResourceType type, JsonObject obj, Rollout rollout, int ready)
    {
        var status = type.Kind == "DaemonSet"
            ? WorkloadStatus.DaemonSet(obj, rollout.Desired, ready)
            : WorkloadStatus.Deployment(obj, obj["status"] as JsonObject, rollout.Desired, ready, rollout.Phase, options.TimeProvider.GetUtcNow());
        var body = new JsonObject { ["metadata"] = new JsonObject { ["name"] = Meta.Name(obj) }, ["status"] = status };
        store.Update(type, Meta.Namespace(obj), Meta.Name(obj), body, statusOnly: true, dryRun: false);
        var missingImage = options.Images?.FirstMissing(obj["spec"]?["template"]?["spec"] as JsonObject, store);
        PodSync.Sync(store, obj, rollout.Desired, ready, options.NodeCount, options.TimeProvider.GetUtcNow(), missingImage);
    }

    private void Schedule(Rollout rollout, TimerFired fired, DateTimeOffset dueAt)
    {
        var time = options.TimeProvider;
        while (true)
        {
            var now = time.GetUtcNow();
            if (dueAt <= now)
            {
                _queue.Writer.TryWrite(fired);
                return;
            }

            rollout.Timer = time.CreateTimer(_ => _queue.Writer.TryWrite(fired), null, dueAt - now, Timeout.InfiniteTimeSpan);
            // A fake clock advanced by a test thread between reading "now" and creating the timer would leave
            // the timer late; re-arm until the clock held still across the creation.
            if (time.GetUtcNow() == now)
            {
                return;
            }

            rollout.Timer.Dispose();
        }
    }

    private int ScheduledNodes(JsonObject? template)
    {
        var selector = template?["spec"]?["nodeSelector"] as JsonObject;
        return Enumerable.Range(0, options.NodeCount).Count(i => selector is null || selector.All(p =>
            Nodes.Labels(i).TryGetValue(p.Key, out var v) && v == Meta.Str(p.Value)));
    }

    private static int Int(JsonNode? node, int fallback) => Meta.Int(node, fallback);

    private sealed record Queued(StoreChange Change, DateTimeOffset At);

    private sealed record TimerFired(ResourceType Type, string? Namespace, string Name, long Generation);

    private sealed class Marker
    {
        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool QuietBefore { get; set; }
    }

    private sealed class Rollout(long generation, int desired, string templateHash, int readyAtStart)
    {
        public long Generation { get; } = generation;

        public int Desired { get; } = desired;

        public string TemplateHash { get; } = templateHash;

        public int ReadyAtStart { get; } = readyAtStart;

        public RolloutPhase Phase { get; set; } = RolloutPhase.Progressing;

        public ITimer? Timer { get; set; }
    }
}
