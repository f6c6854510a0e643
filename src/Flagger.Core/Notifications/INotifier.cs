namespace Flagger.Notifications;

/// <summary>Posts alerts to a chat service. Created per AlertProvider by an <see cref="INotifierFactory"/>.</summary>
public interface INotifier
{
    /// <summary>Posts one alert.</summary>
    Task PostAsync(Notification notification, CancellationToken cancellationToken);
}

/// <summary>Creates notifiers for one AlertProvider type (<c>slack</c>, <c>msteams</c>, …). Registered under that type.</summary>
public interface INotifierFactory
{
    /// <summary>Creates a notifier for one destination.</summary>
    INotifier Create(NotifierSettings settings);
}

/// <summary>Destination of a notifier.</summary>
public sealed record NotifierSettings
{
    /// <summary>Provider type.</summary>
    public required string Type { get; init; }

    /// <summary>Webhook address.</summary>
    public required string Address { get; init; }

    /// <summary>Channel.</summary>
    public string? Channel { get; init; }

    /// <summary>User name shown as the sender.</summary>
    public string? Username { get; init; }

    /// <summary>HTTP proxy.</summary>
    public string? Proxy { get; init; }

    /// <summary>Bearer token.</summary>
    public string? Token { get; init; }
}

/// <summary>One alert about a canary.</summary>
/// <param name="Workload">Canary name.</param>
/// <param name="Namespace">Canary namespace.</param>
/// <param name="Message">Alert text.</param>
/// <param name="Fields">Extra facts (target, traffic routing, …).</param>
/// <param name="Severity">Severity.</param>
public sealed record Notification(string Workload, string Namespace, string Message, IReadOnlyList<NotificationField> Fields, AlertSeverity Severity);

/// <summary>A named fact attached to an alert.</summary>
/// <param name="Name">Field title.</param>
/// <param name="Value">Field value.</param>
public sealed record NotificationField(string Name, string Value);

/// <summary>Alert severities; an alert configured at one level receives that level and the ones above it.</summary>
public enum AlertSeverity
{
    /// <summary>Informational.</summary>
    Info,

    /// <summary>Warning.</summary>
    Warn,

    /// <summary>Error.</summary>
    Error,
}
