using System.Globalization;
using Flagger.Events;
using Flagger.Model;

namespace Flagger.Demo;

/// <summary>Prints events as <c>kubectl describe canary</c> lists them, stamped with the virtual time since start.</summary>
internal sealed class ConsoleEventRecorder(TimeProvider clock, DateTimeOffset start) : IEventRecorder
{
    public List<CanaryEvent> Events { get; } = [];

    public Task RecordAsync(Canary canary, CanaryEvent canaryEvent, CancellationToken cancellationToken)
    {
        Events.Add(canaryEvent);
        var elapsed = clock.GetUtcNow() - start;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {(int)elapsed.TotalMinutes,3}m  {canaryEvent.KubernetesType,-8} {canaryEvent.Message}"));
        return Task.CompletedTask;
    }
}
