using Microsoft.Extensions.Options;

namespace Flagger.Istio;

/// <summary>How the Istio router writes VirtualServices and DestinationRules.</summary>
public sealed class IstioRouterOptions
{
    /// <summary>Istio's networking API in Istio 1.0–1.5 (the walkthrough's era).</summary>
    public const string V1Alpha3 = "networking.istio.io/v1alpha3";

    /// <summary>Istio's networking API since 1.5; the default.</summary>
    public const string V1Beta1 = "networking.istio.io/v1beta1";

    /// <summary>Istio's networking API since 1.22.</summary>
    public const string V1 = "networking.istio.io/v1";

    /// <summary>API version of the VirtualServices and DestinationRules Flagger writes (default <see cref="V1Beta1"/>).</summary>
    public string ApiVersion { get; set; } = V1Beta1;

    /// <summary>
    /// Make the Canary the controller owner of the objects Flagger creates, so they are garbage-collected with it.
    /// Turn off when the mesh objects live in another cluster than the Canary (Flagger's
    /// <c>-kubeconfig-service-mesh</c>). Default true.
    /// </summary>
    public bool SetOwnerReferences { get; set; } = true;

    /// <summary>
    /// Read VirtualServices and DestinationRules from a cache fed by a watch, so an idle canary costs no GETs.
    /// Turn off to read live on every call (e.g. without RBAC to list and watch them). Default true.
    /// </summary>
    public bool UseWatchCache { get; set; } = true;

    /// <summary>
    /// The one namespace the watch cache lists and watches (Flagger's <c>-namespace</c>); null or empty: the
    /// Kubernetes package's <c>Namespace</c> when it is registered, else all namespaces. A namespace-scoped Role cannot
    /// list cluster-wide, and the cache would never fill.
    /// </summary>
    public string? Namespace { get; set; }

    /// <summary>How many times a write is re-read and retried after a 409 Conflict (default 5).</summary>
    public int ConflictRetries { get; set; } = 5;

    /// <summary>The version part of <see cref="ApiVersion"/>, e.g. <c>v1beta1</c>.</summary>
    internal string Version => ApiVersion[(ApiVersion.IndexOf('/', StringComparison.Ordinal) + 1)..];
}

/// <summary>Rejects options the router cannot work with, naming the option.</summary>
internal sealed class IstioRouterOptionsValidator : IValidateOptions<IstioRouterOptions>
{
    public ValidateOptionsResult Validate(string? name, IstioRouterOptions options)
    {
        var failures = new List<string>();
        if (options.ApiVersion is not (IstioRouterOptions.V1Alpha3 or IstioRouterOptions.V1Beta1 or IstioRouterOptions.V1))
        {
            failures.Add($"Istio ApiVersion: must be {IstioRouterOptions.V1Alpha3}, {IstioRouterOptions.V1Beta1} or {IstioRouterOptions.V1}, got '{options.ApiVersion}'");
        }

        if (options.ConflictRetries < 0)
        {
            failures.Add($"Istio ConflictRetries: must be zero or more, got {options.ConflictRetries}");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
