using System.Text.Json.Nodes;

namespace Flagger.Notifications;

/// <summary>Rocket.Chat incoming webhooks: Slack's attachment shape with Rocket.Chat's colour names.</summary>
internal sealed class RocketNotifier(ChatPoster poster) : INotifierFactory
{
    public const string Type = "rocket";

    public INotifier Create(NotifierSettings settings) =>
        new ChatNotifier(n => Format(n, settings), ChatNotifier.ParseAddress(settings), settings, poster);

    public static JsonNode Format(Notification notification, NotifierSettings settings)
    {
        var body = SlackNotifier.Format(notification, settings);
        body["attachments"]![0]!["color"] = notification.Severity == AlertSeverity.Error ? "#FF0000" : "#0076D7";
        return body;
    }
}
