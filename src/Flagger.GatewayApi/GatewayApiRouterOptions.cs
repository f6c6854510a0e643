using Microsoft.Extensions.Options;

namespace Flagger.GatewayApi;

/// <summary>How the Gateway API router writes HTTPRoutes.</summary>
public sealed class GatewayApiRouterOptions
{
    /// <summary>
    /// Make the Canary the controller owner of the HTTPRoutes Flagger creates, so they are garbage-collected with it.
    /// Turn off when the routes live in another cluster than the Canary. Default true.
    /// </summary>
    public bool SetOwnerReferences { get; set; } = true;

    /// <summary>How many times a write is re-read and retried after a 409 Conflict (default 5).</summary>
    public int ConflictRetries { get; set; } = 5;
}

/// <summary>Rejects options the router cannot work with, naming the option.</summary>
internal sealed class GatewayApiRouterOptionsValidator : IValidateOptions<GatewayApiRouterOptions>
{
    public ValidateOptionsResult Validate(string? name, GatewayApiRouterOptions options) =>
        options.ConflictRetries < 0
            ? ValidateOptionsResult.Fail($"Gateway API ConflictRetries: must be zero or more, got {options.ConflictRetries}")
            : ValidateOptionsResult.Success;
}
