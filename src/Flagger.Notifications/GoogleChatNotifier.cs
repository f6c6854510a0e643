using System.Text.Json.Nodes;

namespace Flagger.Notifications;

/// <summary>Google Chat webhooks: a card with the message as header and the fields as key/value widgets.</summary>
internal sealed class GoogleChatNotifier(ChatPoster poster) : INotifierFactory
{
    public const string Type = "gchat";

    public INotifier Create(NotifierSettings settings) =>
        new ChatNotifier(Format, ChatNotifier.ParseAddress(settings), settings, poster);

    public static JsonNode Format(Notification notification)
    {
        var widgets = ChatNotifier.Fields(notification, field => new JsonObject { ["keyValue"] = new JsonObject { ["topLabel"] = field.Name, ["content"] = field.Value } });

        return new JsonObject
        {
            ["cards"] = new JsonArray(
                new JsonObject
                {
                    ["header"] = new JsonObject { ["title"] = notification.Message, ["subtitle"] = ChatNotifier.Author(notification) },
                    ["sections"] = new JsonArray(new JsonObject { ["widgets"] = widgets }),
                }),
        };
    }
}
