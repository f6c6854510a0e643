using Flagger.Notifications;

namespace Flagger.Analysis.Decisions;

/// <summary>Which alerts a canary alert receives, by severity.</summary>
internal static class AlertRouting
{
    /// <summary>
    /// An alert at <c>info</c> receives everything, <c>warn</c> receives warnings and errors, <c>error</c> only errors.
    /// An empty severity means <c>info</c>, as documented (Flagger sends such alerts nothing).
    /// </summary>
    public static bool Receives(string? configuredSeverity, AlertSeverity severity) => configuredSeverity switch
    {
        null or "" or "info" => true,
        "warn" => severity >= AlertSeverity.Warn,
        "error" => severity == AlertSeverity.Error,
        _ => false,
    };
}
