using Flagger.Model;

namespace Flagger.Events;

/// <summary>Records canary events (Kubernetes events, logs, the event webhook).</summary>
public interface IEventRecorder
{
    /// <summary>Records one event about the canary.</summary>
    Task RecordAsync(Canary canary, CanaryEvent canaryEvent, CancellationToken cancellationToken);
}

/// <summary>An event about a canary; its text is Flagger's, users grep it.</summary>
/// <param name="Severity">Info becomes a Normal event; Warning and Error become Warning events.</param>
/// <param name="Message">The text.</param>
public sealed record CanaryEvent(EventSeverity Severity, string Message)
{
    /// <summary>The Kubernetes event type: <c>Normal</c> or <c>Warning</c>.</summary>
    public string KubernetesType => Severity == EventSeverity.Info ? "Normal" : "Warning";

    /// <inheritdoc />
    public override string ToString() => $"{KubernetesType} {Message}";
}

/// <summary>Event severities.</summary>
public enum EventSeverity
{
    /// <summary>Normal progress.</summary>
    Info,

    /// <summary>Something halted or failed.</summary>
    Warning,

    /// <summary>An error talking to a provider.</summary>
    Error,
}
