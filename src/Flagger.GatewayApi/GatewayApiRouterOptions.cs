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

    /// <summary>
    /// Read HTTPRoutes from a cache fed by a watch, so an idle canary costs no GETs. Turn off to read live on every
    /// call (e.g. without RBAC to list and watch them). Default true.
    /// </summary>
    public bool UseWatchCache { get; set; } = true;

    /// <summary>
    /// The one namespace the watch cache lists and watches; null or empty: the Kubernetes package's
    /// <c>Namespace</c> (Flagger's <c>-namespace</c>) when it is registered, else all namespaces.
    /// </summary>
    public string? Namespace { get; set; }

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
