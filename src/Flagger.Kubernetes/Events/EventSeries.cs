namespace Flagger.Kubernetes.Events;

/// <summary>
/// The count each recent event series has reached, bounded as client-go's event correlator bounds its cache: at
/// most <see cref="Capacity"/> series, least recently used dropped first, and a series not seen for
/// <see cref="Window"/> forgotten. Halt messages embed metric values, so distinct messages never stop coming; a
/// forgotten series that repeats is found again on the API server (the create answers 409) and continued.
/// </summary>
internal sealed class EventSeries(TimeProvider time)
{
    /// <summary>client-go's <c>maxLruCacheEntries</c>.</summary>
    public const int Capacity = 4096;

    /// <summary>client-go's aggregation window, <c>defaultAggregateIntervalInSeconds</c>.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(10);

    private readonly Dictionary<string, LinkedListNode<Entry>> entries = new(StringComparer.Ordinal);
    private readonly LinkedList<Entry> recency = new();

    public int Count
    {
        get
        {
            lock (entries)
            {
                return entries.Count;
            }
        }
    }

    /// <summary>The count of the series <paramref name="name"/>, when it was seen within the window.</summary>
    public bool TryGet(string name, out int count)
    {
        lock (entries)
        {
            count = 0;
            if (!entries.TryGetValue(name, out var node))
            {
                return false;
            }

            if (time.GetUtcNow() - node.Value.Seen > Window)
            {
                Drop(node);
                return false;
            }

            count = node.Value.Count;
            return true;
        }
    }

    /// <summary>Records that the series <paramref name="name"/> has reached <paramref name="count"/> now.</summary>
    public void Set(string name, int count)
    {
        lock (entries)
        {
            if (entries.TryGetValue(name, out var node))
            {
                recency.Remove(node);
            }

            node = recency.AddFirst(new Entry(name, count, time.GetUtcNow()));
            entries[name] = node;
            while (entries.Count > Capacity)
            {
                Drop(recency.Last!);
            }
        }
    }

    public void Remove(string name)
    {
        lock (entries)
        {
            if (entries.TryGetValue(name, out var node))
            {
                Drop(node);
            }
        }
    }

    private void Drop(LinkedListNode<Entry> node)
    {
        recency.Remove(node);
        entries.Remove(node.Value.Name);
    }

    private readonly record struct Entry(string Name, int Count, DateTimeOffset Seen);
}
