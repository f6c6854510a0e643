using System.Globalization;
using Flagger.Events;
using Flagger.Model;

namespace Flagger.Demo;

/// <summary>One event as the demo printed it.</summary>
/// <param name="Elapsed">Simulated time since the demo started.</param>
/// <param name="Canary"><c>name.namespace</c>.</param>
/// <param name="Type"><c>Normal</c> or <c>Warning</c>.</param>
/// <param name="Message">The event text.</param>
public sealed record TimelineEntry(TimeSpan Elapsed, string Canary, string Type, string Message);

/// <summary>The events of a run, in order, shared by the recorder and whoever reads them.</summary>
public sealed class Timeline
{
    private readonly List<TimelineEntry> entries = [];

    /// <summary>A copy of the entries so far.</summary>
    public IReadOnlyList<TimelineEntry> Entries
    {
        get
        {
            lock (entries)
            {
                return [.. entries];
            }
        }
    }

    internal void Add(TimelineEntry entry)
    {
        lock (entries)
        {
            entries.Add(entry);
        }
    }
}

/// <summary>Records every event as the operator does (a Kubernetes Event) and prints it as it happens.</summary>
internal sealed class PrintingEventRecorder(IEventRecorder inner, DemoConsole console, Timeline timeline) : IEventRecorder
{
    public async Task RecordAsync(Canary canary, CanaryEvent canaryEvent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(canary);
        ArgumentNullException.ThrowIfNull(canaryEvent);
        // Printed first: the line is what the engine decided, and the Event write after it is best-effort, bounded
        // on the demo's fast clock (at --speed 100 the ten-second bound is 100 ms), so a loaded machine can drop it.
        var entry = new TimelineEntry(console.Elapsed, $"{canary.Name}.{canary.Namespace}", canaryEvent.KubernetesType, canaryEvent.Message);
        timeline.Add(entry);
        console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {(int)entry.Elapsed.TotalMinutes,3}m{entry.Elapsed.Seconds:00}s  {entry.Type,-8} {entry.Message}"));
        await inner.RecordAsync(canary, canaryEvent, cancellationToken).ConfigureAwait(false);
    }
}

/// <summary>The demo's output, with the simulated time since start.</summary>
internal sealed class DemoConsole(TextWriter output, TimeProvider time)
{
    private readonly DateTimeOffset start = time.GetUtcNow();

    public TimeSpan Elapsed => time.GetUtcNow() - start;

    public void WriteLine(string line = "")
    {
        lock (output)
        {
            output.WriteLine(line);
            output.Flush();
        }
    }
}
