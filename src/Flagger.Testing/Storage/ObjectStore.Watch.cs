using System.Threading.Channels;
using System.Text.Json.Nodes;
using Flagger.Testing.Api;

namespace Flagger.Testing.Storage;

/// <summary>One event as a watcher sees it.</summary>
internal sealed record WatchEvent(string Type, JsonObject Object);

/// <summary>A change committed to the store, for in-process observers (the controller-manager).</summary>
internal sealed record StoreChange(string Type, ResourceType Resource, JsonObject Object, JsonObject? Previous);

internal sealed partial class ObjectStore
{
    private readonly LinkedList<(long Rv, ResourceType Type, string EventType, JsonObject Obj, JsonObject? Previous)> _history = new();
    private readonly List<Watcher> _watchers = [];
    private readonly List<Action<StoreChange>> _observers = [];
    private readonly int _historyLimit;
    private long _compactedThrough;

    /// <summary>Registers an in-process observer; it runs under the store lock and must not block.</summary>
    public void Observe(Action<StoreChange> observer)
    {
        lock (_gate)
        {
            _observers.Add(observer);
        }
    }

    /// <summary>Forgets the watch history so that resuming from any older resourceVersion answers 410 Gone.</summary>
    public void CompactHistory()
    {
        lock (_gate)
        {
            _history.Clear();
            _compactedThrough = _resourceVersion;
        }
    }

    public int WatcherCount
    {
        get
        {
            lock (_gate)
            {
                return _watchers.Count;
            }
        }
    }

    /// <summary>
    /// Starts a watch. With no resourceVersion (or "0") the current objects come first as ADDED; otherwise every
    /// change after that version is replayed, or 410 Gone when the history no longer reaches back that far.
    /// </summary>
    public Watcher Watch(ResourceType type, string? ns, Selector labels, Selector fields, string? resourceVersion)
    {
        lock (_gate)
        {
            var watcher = new Watcher(this, type, ns, labels, fields);
            if (string.IsNullOrEmpty(resourceVersion) || resourceVersion == "0")
            {
                foreach (var obj in Bucket(type.StorageKey).Values.Where(o => InScope(type, ns, o) && labels.Matches(o) && fields.Matches(o)))
                {
                    watcher.Offer("ADDED", obj, null);
                }
            }
            else
            {
                if (!long.TryParse(resourceVersion, out var from))
                {
                    throw ApiException.BadRequest($"invalid resource version \"{resourceVersion}\"");
                }

                if (from < _compactedThrough)
                {
                    throw ApiException.Gone($"too old resource version: {from} ({_compactedThrough})");
                }

                foreach (var h in _history.Where(h => h.Rv > from && h.Type.StorageKey == type.StorageKey))
                {
                    watcher.Offer(h.EventType, h.Obj, h.Previous);
                }
            }

            _watchers.Add(watcher);
            return watcher;
        }
    }

    /// <summary>Ends every open watch stream (fault injection: clients must resume).</summary>
    public void DropWatches()
    {
        lock (_gate)
        {
            foreach (var w in _watchers)
            {
                w.Complete();
            }

            _watchers.Clear();
        }
    }

    private void Unsubscribe(Watcher watcher)
    {
        lock (_gate)
        {
            _watchers.Remove(watcher);
        }
    }

    private void Publish(ResourceType type, string eventType, JsonObject obj, JsonObject? previous)
    {
        _history.AddLast((_resourceVersion, type, eventType, obj, previous));
        while (_history.Count > _historyLimit)
        {
            _compactedThrough = _history.First!.Value.Rv;
            _history.RemoveFirst();
        }

        foreach (var w in _watchers)
        {
            if (w.Type.StorageKey == type.StorageKey)
            {
                w.Offer(eventType, obj, previous);
            }
        }

        var change = new StoreChange(eventType, type, obj, previous);
        foreach (var o in _observers)
        {
            o(change);
        }
    }

    /// <summary>A subscription: events already filtered by namespace and selectors.</summary>
    internal sealed class Watcher(ObjectStore store, ResourceType type, string? ns, Selector labels, Selector fields) : IDisposable
    {
        private readonly Channel<WatchEvent> _channel = Channel.CreateUnbounded<WatchEvent>(new UnboundedChannelOptions { SingleReader = true });

        public ResourceType Type { get; } = type;

        public ChannelReader<WatchEvent> Events => _channel.Reader;

        internal void Offer(string eventType, JsonObject obj, JsonObject? previous)
        {
            var now = Matches(obj);
            var before = previous is not null && Matches(previous);
            // An object moving into or out of the selection is ADDED or DELETED for this watcher.
            var effective = (eventType, before, now) switch
            {
                ("MODIFIED", false, true) => "ADDED",
                ("MODIFIED", true, false) => "DELETED",
                ("MODIFIED", false, false) => null,
                ("ADDED", _, false) => null,
                ("DELETED", _, _) when !Matches(obj) => null,
                _ => eventType,
            };
            if (effective is not null)
            {
                _channel.Writer.TryWrite(new WatchEvent(effective, obj));
            }
        }

        /// <summary>
        /// Queues a BOOKMARK behind the events already offered, at the store's current resourceVersion: taken
        /// under the store lock, no later change can be numbered at or below it.
        /// </summary>
        internal void OfferBookmark(Func<long, JsonObject> bookmark)
        {
            lock (store._gate)
            {
                _channel.Writer.TryWrite(new WatchEvent("BOOKMARK", bookmark(store._resourceVersion)));
            }
        }

        internal void Complete() => _channel.Writer.TryComplete();

        public void Dispose()
        {
            Complete();
            store.Unsubscribe(this);
        }

        private bool Matches(JsonObject obj) => InScope(Type, ns, obj) && labels.Matches(obj) && fields.Matches(obj);
    }
}
