using Flagger.Providers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Flagger.Notifications;

/// <summary>Registers the chat notifiers.</summary>
public static class FlaggerEngineBuilderNotificationExtensions
{
    /// <summary>
    /// Registers the AlertProvider types <c>slack</c>, <c>msteams</c>, <c>discord</c>, <c>rocket</c> and
    /// <c>gchat</c>, used by canaries' <c>analysis.alerts</c>.
    /// </summary>
    public static FlaggerEngineBuilder AddNotifications(this FlaggerEngineBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddSingleton<ChatPoster>();
        return builder
            .AddNotifier<SlackNotifier>(SlackNotifier.Type)
            .AddNotifier<MSTeamsNotifier>(MSTeamsNotifier.Type)
            .AddNotifier<DiscordNotifier>(DiscordNotifier.Type)
            .AddNotifier<RocketNotifier>(RocketNotifier.Type)
            .AddNotifier<GoogleChatNotifier>(GoogleChatNotifier.Type);
    }

    /// <summary>Posts alerts of canaries without <c>analysis.alerts</c> to one Slack channel.</summary>
    public static FlaggerEngineBuilder AddSlack(this FlaggerEngineBuilder builder, Action<SlackOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddNotifications();
        builder.Services.AddOptions<SlackOptions>().Configure(configure).ValidateOnStart();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SlackOptions>, SlackOptionsValidator>());
        builder.Services.TryAddSingleton<INotifier>(sp =>
        {
            var options = sp.GetRequiredService<IOptions<SlackOptions>>().Value;
            return sp.GetRequiredKeyedService<INotifierFactory>(SlackNotifier.Type).Create(new NotifierSettings
            {
                Type = SlackNotifier.Type,
                Address = options.Url!,
                Channel = options.Channel,
                Username = options.User,
                Token = options.Token,
                Proxy = options.ProxyUrl,
            });
        });
        return builder;
    }

    /// <summary>Posts alerts of canaries without <c>analysis.alerts</c> to one Teams channel.</summary>
    public static FlaggerEngineBuilder AddMSTeams(this FlaggerEngineBuilder builder, Action<MSTeamsOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddNotifications();
        builder.Services.AddOptions<MSTeamsOptions>().Configure(configure).ValidateOnStart();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<MSTeamsOptions>, MSTeamsOptionsValidator>());
        builder.Services.TryAddSingleton<INotifier>(sp =>
        {
            var options = sp.GetRequiredService<IOptions<MSTeamsOptions>>().Value;
            return sp.GetRequiredKeyedService<INotifierFactory>(MSTeamsNotifier.Type).Create(new NotifierSettings
            {
                Type = MSTeamsNotifier.Type,
                Address = options.Url!,
                Proxy = options.ProxyUrl,
            });
        });
        return builder;
    }
}
