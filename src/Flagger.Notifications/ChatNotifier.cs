using System.Text.Json.Nodes;

namespace Flagger.Notifications;

/// <summary>A notifier for one destination: a chat format plus where and how to post it.</summary>
internal sealed class ChatNotifier(Func<Notification, JsonNode> format, Uri address, NotifierSettings settings, ChatPoster poster) : INotifier
{
    public Task PostAsync(Notification notification, CancellationToken cancellationToken) =>
        poster.PostAsync(address, format(notification), settings.Proxy, settings.Token, cancellationToken);

    /// <summary>The address, checked: a typo in an AlertProvider should say which field is wrong.</summary>
    public static Uri ParseAddress(NotifierSettings settings, string suffix = "")
    {
        if (!Uri.TryCreate(settings.Address + suffix, UriKind.Absolute, out var uri) || (uri.Scheme != "http" && uri.Scheme != "https"))
        {
            throw new ArgumentException($"{settings.Type} notifier: address must be an http(s) URL", nameof(settings));
        }

        return uri;
    }

    /// <summary><c>name.namespace</c>, shown as the author of every message.</summary>
    public static string Author(Notification notification) => $"{notification.Workload}.{notification.Namespace}";

    /// <summary>The notification's fields as a JSON array, each shaped by <paramref name="shape"/>.</summary>
    // Built from an array: JsonArray.Add(JsonObject) binds to the generic Add<T>, which needs reflection (trimming, AOT).
    public static JsonArray Fields(Notification notification, Func<NotificationField, JsonObject> shape) =>
        new(notification.Fields.Select(JsonNode? (field) => shape(field)).ToArray());
}
