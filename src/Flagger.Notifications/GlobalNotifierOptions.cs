using Microsoft.Extensions.Options;

namespace Flagger.Notifications;

/// <summary>The operator-wide Slack notifier, used for canaries that list no alerts (<c>--slack-*</c> flags).</summary>
public sealed class SlackOptions
{
    /// <summary>Incoming webhook address (<c>--slack-url</c>, env <c>SLACK_URL</c>).</summary>
    public string? Url { get; set; }

    /// <summary>Channel (<c>--slack-channel</c>).</summary>
    public string? Channel { get; set; }

    /// <summary>Sender name (<c>--slack-user</c>, default <c>flagger</c>).</summary>
    public string User { get; set; } = "flagger";

    /// <summary>Bearer token (<c>--slack-token</c>, env <c>SLACK_TOKEN</c>).</summary>
    public string? Token { get; set; }

    /// <summary>HTTP proxy (<c>--slack-proxy-url</c>).</summary>
    public string? ProxyUrl { get; set; }
}

/// <summary>The operator-wide Microsoft Teams notifier (<c>--msteams-*</c> flags).</summary>
public sealed class MSTeamsOptions
{
    /// <summary>Incoming webhook address (<c>--msteams-url</c>, env <c>MSTEAMS_URL</c>).</summary>
    public string? Url { get; set; }

    /// <summary>HTTP proxy (<c>--msteams-proxy-url</c>).</summary>
    public string? ProxyUrl { get; set; }
}

/// <summary>Rejects a Slack configuration that could never post, naming the flag to fix.</summary>
internal sealed class SlackOptionsValidator : IValidateOptions<SlackOptions>
{
    public ValidateOptionsResult Validate(string? name, SlackOptions options)
    {
        var failures = new List<string>();
        if (!IsHttpUrl(options.Url))
        {
            failures.Add("--slack-url: must be the http(s) address of a Slack incoming webhook");
        }

        if (string.IsNullOrWhiteSpace(options.Channel))
        {
            failures.Add("--slack-channel: must name the channel to post to");
        }

        if (string.IsNullOrWhiteSpace(options.User))
        {
            failures.Add("--slack-user: must not be empty");
        }

        if (!string.IsNullOrEmpty(options.ProxyUrl) && !IsHttpUrl(options.ProxyUrl))
        {
            failures.Add("--slack-proxy-url: must be an http(s) address");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    public static bool IsHttpUrl(string? url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && (uri.Scheme == "http" || uri.Scheme == "https");
}

/// <summary>Rejects a Teams configuration that could never post.</summary>
internal sealed class MSTeamsOptionsValidator : IValidateOptions<MSTeamsOptions>
{
    public ValidateOptionsResult Validate(string? name, MSTeamsOptions options)
    {
        var failures = new List<string>();
        if (!SlackOptionsValidator.IsHttpUrl(options.Url))
        {
            failures.Add("--msteams-url: must be the http(s) address of a Teams incoming webhook");
        }

        if (!string.IsNullOrEmpty(options.ProxyUrl) && !SlackOptionsValidator.IsHttpUrl(options.ProxyUrl))
        {
            failures.Add("--msteams-proxy-url: must be an http(s) address");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
