using System.Text.Json.Nodes;

namespace Flagger.Notifications;

/// <summary>Slack incoming webhooks: one attachment, green or red, with the alert's fields.</summary>
internal sealed class SlackNotifier(ChatPoster poster) : INotifierFactory
{
    public const string Type = "slack";

    public INotifier Create(NotifierSettings settings) =>
        new ChatNotifier(n => Format(n, settings), ChatNotifier.ParseAddress(settings), settings, poster);

    /// <summary>The Slack message; Discord and Rocket.Chat accept the same shape.</summary>
    public static JsonNode Format(Notification notification, NotifierSettings settings)
    {
        var fields = ChatNotifier.Fields(notification, field => new JsonObject { ["title"] = field.Name, ["value"] = field.Value, ["short"] = false });

        return new JsonObject
        {
            ["channel"] = settings.Channel,
            ["username"] = settings.Username,
            ["icon_emoji"] = ":rocket:",
            ["attachments"] = new JsonArray(
                new JsonObject
                {
                    ["color"] = notification.Severity == AlertSeverity.Error ? "danger" : "good",
                    ["author_name"] = ChatNotifier.Author(notification),
                    ["text"] = notification.Message,
                    ["mrkdwn_in"] = new JsonArray("text"),
                    ["fields"] = fields,
                }),
        };
    }
}

/// <summary>Discord's Slack-compatible endpoint: the webhook address with <c>/slack</c> appended.</summary>
internal sealed class DiscordNotifier(ChatPoster poster) : INotifierFactory
{
    public const string Type = "discord";

    public INotifier Create(NotifierSettings settings) =>
        new ChatNotifier(n => SlackNotifier.Format(n, settings), ChatNotifier.ParseAddress(settings, "/slack"), settings, poster);
}
