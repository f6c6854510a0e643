using System.Text.Json.Nodes;

namespace Flagger.Notifications;

/// <summary>Microsoft Teams incoming webhooks: a MessageCard, blue or red, with the fields as facts.</summary>
internal sealed class MSTeamsNotifier(ChatPoster poster) : INotifierFactory
{
    public const string Type = "msteams";

    public INotifier Create(NotifierSettings settings) =>
        new ChatNotifier(Format, ChatNotifier.ParseAddress(settings), settings, poster);

    public static JsonNode Format(Notification notification)
    {
        var facts = ChatNotifier.Fields(notification, field => new JsonObject { ["name"] = field.Name, ["value"] = field.Value });

        return new JsonObject
        {
            ["@type"] = "MessageCard",
            ["@context"] = "http://schema.org/extensions",
            ["themeColor"] = notification.Severity == AlertSeverity.Error ? "FF0000" : "0076D7",
            ["summary"] = ChatNotifier.Author(notification),
            ["sections"] = new JsonArray(
                new JsonObject
                {
                    ["activityTitle"] = notification.Message,
                    ["activitySubtitle"] = ChatNotifier.Author(notification),
                    ["facts"] = facts,
                }),
        };
    }
}
