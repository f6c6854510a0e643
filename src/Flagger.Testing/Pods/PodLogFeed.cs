using System.Text;

namespace Flagger.Testing.Pods;

/// <summary>One line a container printed, with the time the cluster's clock read when it was appended.</summary>
/// <param name="Time">When the line was printed.</param>
/// <param name="Text">The line, without its line break.</param>
public readonly record struct PodLogLine(DateTimeOffset Time, string Text);

/// <summary>
/// An append-only feed of log lines that one or more simulated pods print. A host appends lines (or writes to
/// <see cref="CreateWriter"/>), and <c>kubectl logs</c> reads them back, with <c>--follow</c> getting new lines
/// as they arrive. It keeps the last <see cref="Capacity"/> lines, as a container runtime rotates its log.
/// </summary>
public sealed class PodLogFeed
{
    private readonly object _gate = new();
    private readonly LinkedList<PodLogLine> _lines = new();
    private readonly List<Action<PodLogLine>> _followers = [];
    private readonly TimeProvider _time;

    /// <summary>Creates a feed stamping lines with <paramref name="time"/>.</summary>
    /// <param name="time">The clock for line timestamps; the system clock when null.</param>
    /// <param name="capacity">How many lines to keep.</param>
    public PodLogFeed(TimeProvider? time = null, int capacity = 10_000)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        _time = time ?? TimeProvider.System;
        Capacity = capacity;
    }

    /// <summary>How many lines the feed keeps before dropping the oldest.</summary>
    public int Capacity { get; }

    /// <summary>Appends one or more lines (text with line breaks is split).</summary>
    /// <param name="text">The text to print.</param>
    public void Append(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        foreach (var line in text.TrimEnd('\n').Split('\n'))
        {
            var entry = new PodLogLine(_time.GetUtcNow(), line.TrimEnd('\r'));
            Action<PodLogLine>[] followers;
            lock (_gate)
            {
                _lines.AddLast(entry);
                if (_lines.Count > Capacity)
                {
                    _lines.RemoveFirst();
                }

                followers = [.. _followers];
            }

            foreach (var f in followers)
            {
                f(entry);
            }
        }
    }

    /// <summary>
    /// A <see cref="TextWriter"/> whose completed lines go to the feed, e.g. to tee a logger's console output
    /// (<c>Console.SetOut</c>, or a logging provider's writer) into <c>kubectl logs</c>.
    /// </summary>
    /// <returns>A writer; partial lines wait for their line break.</returns>
    public TextWriter CreateWriter() => new FeedWriter(this);

    /// <summary>The lines kept now, oldest first.</summary>
    /// <returns>A copy of the lines.</returns>
    public IReadOnlyList<PodLogLine> Snapshot()
    {
        lock (_gate)
        {
            return [.. _lines];
        }
    }

    /// <summary>Takes the current lines and subscribes to later ones in one step, so no line is lost or doubled.</summary>
    internal IReadOnlyList<PodLogLine> Follow(Action<PodLogLine> follower, out IDisposable subscription)
    {
        lock (_gate)
        {
            _followers.Add(follower);
            subscription = new Unsubscriber(this, follower);
            return [.. _lines];
        }
    }

    private void Unfollow(Action<PodLogLine> follower)
    {
        lock (_gate)
        {
            _followers.Remove(follower);
        }
    }

    private sealed class Unsubscriber(PodLogFeed feed, Action<PodLogLine> follower) : IDisposable
    {
        public void Dispose() => feed.Unfollow(follower);
    }

    private sealed class FeedWriter(PodLogFeed feed) : TextWriter
    {
        private readonly StringBuilder _pending = new();

        public override Encoding Encoding => Encoding.UTF8;

        public override void Write(char value) => Write(value.ToString());

        public override void Write(string? value)
        {
            // Whole strings under one lock: lines written by concurrent loggers do not interleave mid-line.
            var lines = new List<string>();
            lock (_pending)
            {
                foreach (var c in value ?? "")
                {
                    if (c == '\n')
                    {
                        lines.Add(_pending.ToString());
                        _pending.Clear();
                    }
                    else
                    {
                        _pending.Append(c);
                    }
                }
            }

            foreach (var line in lines)
            {
                feed.Append(line);
            }
        }

        public override void Write(char[] buffer, int index, int count) => Write(new string(buffer, index, count));
    }
}
