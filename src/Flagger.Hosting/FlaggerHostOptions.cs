using Microsoft.Extensions.Options;

namespace Flagger.Hosting;

/// <summary>Settings of the operator host (flags with Flagger's names in brackets).</summary>
public sealed class FlaggerHostOptions
{
    /// <summary>Port of <c>/metrics</c>, <c>/healthz</c> and <c>/readyz</c> (<c>--port</c>, default 8080).</summary>
    public int Port { get; set; } = 8080;

    /// <summary>Canary ticks run at the same time at most; the rest queue (<c>--threadiness</c> in spirit).</summary>
    public int MaxConcurrentTicks { get; set; } = 16;

    /// <summary>Address that receives every event (<c>--event-webhook</c>, env <c>EVENT_WEBHOOK_URL</c>).</summary>
    public string? EventWebhook { get; set; }

    /// <summary>Version reported by <c>flagger_info</c> and <c>--version</c>.</summary>
    public string Version { get; set; } = typeof(FlaggerHostOptions).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";
}

/// <summary>Rejects host settings that cannot work, naming the flag.</summary>
internal sealed class FlaggerHostOptionsValidator(IEnumerable<Providers.EventForwardingMarker> forwarding) : IValidateOptions<FlaggerHostOptions>
{
    public ValidateOptionsResult Validate(string? name, FlaggerHostOptions options)
    {
        var failures = new List<string>();
        if (options.Port is < 0 or > 65535)
        {
            failures.Add($"--port: must be 0..65535, got {options.Port}");
        }

        if (options.MaxConcurrentTicks < 1)
        {
            failures.Add($"MaxConcurrentTicks: must be at least 1, got {options.MaxConcurrentTicks}");
        }

        if (!string.IsNullOrEmpty(options.EventWebhook) && !Uri.TryCreate(options.EventWebhook, UriKind.Absolute, out _))
        {
            // The address may carry a token (user info, query): start-up errors go to logs, so they quote it redacted.
            failures.Add($"--event-webhook: must be an absolute URL, got '{Flagger.Providers.SecretText.Address(options.EventWebhook)}'");
        }

        if (!string.IsNullOrEmpty(options.EventWebhook) && !forwarding.Any())
        {
            failures.Add("--event-webhook: set, but events are not forwarded; call AddEventForwarding() after AddKubernetes()");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
