using System.Text.Json.Nodes;
using Flagger.Kubernetes;
using Flagger.Model;
using Flagger.Routing;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Flagger.GatewayApi;

/// <summary>
/// The <c>gatewayapi:&lt;version&gt;</c> mesh provider: one HTTPRoute <c>&lt;svc&gt;</c>, attached to the Gateways of
/// <c>spec.service.gatewayRefs</c>, splitting traffic between the <c>&lt;svc&gt;-primary</c> and
/// <c>&lt;svc&gt;-canary</c> Services by backendRef weights.
/// </summary>
/// <typeparam name="TVersion">The Gateway API version the HTTPRoutes are read and written in.</typeparam>
internal sealed partial class GatewayApiRouter<TVersion>(HttpRoutes routes, IOptions<GatewayApiRouterOptions> options, ILogger<GatewayApiRouter<TVersion>>? logger = null) : IMeshRouter
    where TVersion : IGatewayApiVersion
{
    /// <summary>Where kubectl keeps what the user applied; an adopted HTTPRoute is restored from it on finalise.</summary>
    public const string KubectlAnnotation = Adoption.KubectlAnnotation;

    /// <summary>Where Flagger keeps an adopted HTTPRoute's spec when kubectl's annotation is absent.</summary>
    public const string OriginalConfigurationAnnotation = Adoption.OriginalConfigurationAnnotation;

    private readonly ILogger log = logger ?? NullLogger<GatewayApiRouter<TVersion>>.Instance;

    private static string Version => TVersion.Version;

    public Task ReconcileAsync(Canary canary, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(canary);
        return routes.RetryOnConflictAsync(
            async ct =>
            {
                var (name, ns) = (canary.ApexName(), canary.Namespace);
                var current = await routes.GetAsync(Version, ns, name, ct).ConfigureAwait(false);
                if (current is null)
                {
                    var created = new JsonObject
                    {
                        ["apiVersion"] = $"{HttpRoutes.Group}/{Version}",
                        ["kind"] = HttpRoutes.Kind,
                        ["metadata"] = NewMetadata(canary),
                        ["spec"] = HttpRouteSpecs.Spec(canary, TrafficRoutes.AllToPrimary),
                    };
                    await routes.CreateAsync(Version, created, ct).ConfigureAwait(false);
                    Created(name, ns);
                    return;
                }

                // Keep the split the analysis has reached; only a spec that cannot be read starts over from the primary.
                var spec = current["spec"] as JsonObject;
                var (split, problem) = HttpRouteSpecs.ReadRoutes(canary, spec);
                var desired = HttpRouteSpecs.Spec(canary, problem is null ? split : TrafficRoutes.AllToPrimary);
                var specChanged = !HttpRouteSpecs.Covers(spec, desired);
                var metadata = (JsonObject)(current["metadata"] ??= new JsonObject());
                var metadataChanged = ApplyApexMetadata(metadata, canary);
                if (!specChanged && !metadataChanged)
                {
                    return;
                }

                if (specChanged)
                {
                    var annotations = (JsonObject)(metadata["annotations"] ??= new JsonObject());
                    if (Adoption.MustKeepOriginal(Strings(annotations), IsOwnedBy(metadata, canary)))
                    {
                        // Adopting an HTTPRoute nobody can restore from kubectl's annotation: keep what it was.
                        annotations[OriginalConfigurationAnnotation] = (spec ?? []).ToJsonString();
                    }

                    current["spec"] = desired;
                }

                await routes.ReplaceAsync(Version, current, ct).ConfigureAwait(false);
                Updated(name, ns);
            },
            cancellationToken);
    }

    public Task SetRoutesAsync(Canary canary, TrafficRoutes split, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(canary);
        return routes.RetryOnConflictAsync(
            async ct =>
            {
                var current = await GetRouteAsync(canary, ct).ConfigureAwait(false);
                var desired = HttpRouteSpecs.Spec(canary, split);
                if (HttpRouteSpecs.Covers(current["spec"], desired))
                {
                    return;
                }

                current["spec"] = desired;
                await routes.ReplaceAsync(Version, current, ct).ConfigureAwait(false);
            },
            cancellationToken);
    }

    public async Task<TrafficRoutes> GetRoutesAsync(Canary canary, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(canary);
        var current = await GetRouteAsync(canary, cancellationToken).ConfigureAwait(false);

        // A Gateway that has not taken the last write yet still routes by the one before it.
        if (HttpRouteSpecs.NotAccepted(canary, current) is { } notAccepted)
        {
            throw new InvalidOperationException(notAccepted);
        }

        var (split, problem) = HttpRouteSpecs.ReadRoutes(canary, current["spec"] as JsonObject);
        return problem is null ? split : throw new InvalidOperationException(problem);
    }

    public Task FinalizeAsync(Canary canary, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(canary);
        return routes.RetryOnConflictAsync(
            async ct =>
            {
                var (name, ns) = (canary.ApexName(), canary.Namespace);
                var current = await routes.GetAsync(Version, ns, name, ct).ConfigureAwait(false);
                if (current is null)
                {
                    return;
                }

                var metadata = (JsonObject)(current["metadata"] ??= new JsonObject());
                var original = OriginalSpec(metadata);
                if (original is null)
                {
                    // Flagger created it: garbage collection removes it with the Canary.
                    if (IsOwnedBy(metadata, canary))
                    {
                        return;
                    }

                    throw new InvalidOperationException(Adoption.OriginalNotFound(HttpRoutes.Kind, canary.ApexName(), canary.Namespace));
                }

                current["spec"] = original;
                (metadata["annotations"] as JsonObject)?.Remove(OriginalConfigurationAnnotation);
                await routes.ReplaceAsync(Version, current, ct).ConfigureAwait(false);
                Restored(name, ns);
            },
            cancellationToken);
    }

    private async Task<JsonObject> GetRouteAsync(Canary canary, CancellationToken cancellationToken) =>
        await routes.GetAsync(Version, canary.Namespace, canary.ApexName(), cancellationToken).ConfigureAwait(false)
        ?? throw new InvalidOperationException($"HTTPRoute {canary.ApexName()}.{canary.Namespace} not found; Flagger creates it when it reconciles the canary");

    private static JsonObject? OriginalSpec(JsonObject metadata) =>
        Adoption.OriginalSpec(Strings(metadata["annotations"] as JsonObject)) is { } original ? JsonNode.Parse(original) as JsonObject : null;

    // The string entries of a labels or annotations map.
    private static Dictionary<string, string> Strings(JsonObject? map) =>
        (map ?? []).Where(kv => kv.Value is JsonValue v && v.TryGetValue<string>(out _)).ToDictionary(kv => kv.Key, kv => kv.Value!.GetValue<string>(), StringComparer.Ordinal);

    private JsonObject NewMetadata(Canary canary)
    {
        var metadata = new JsonObject { ["name"] = canary.ApexName(), ["namespace"] = canary.Namespace };
        if (options.Value.SetOwnerReferences && !string.IsNullOrEmpty(canary.Metadata.Uid))
        {
            metadata["ownerReferences"] = JsonNode.Parse(KubernetesJson.Serialize(new[] { CanaryOwnership.ControllerReference(canary) }));
        }

        ApplyApexMetadata(metadata, canary);
        return metadata;
    }

    /// <summary>
    /// Sets <c>spec.service.apex</c> labels and annotations on the HTTPRoute, and the annotations that keep Flux from
    /// reverting what Flagger writes (as Flagger does on every object it generates); true when anything changed.
    /// </summary>
    private static bool ApplyApexMetadata(JsonObject metadata, Canary canary)
    {
        var changed = false;
        foreach (var (label, key, value) in Adoption.ApexMetadata(canary))
        {
            var existing = (JsonObject)(metadata[label ? "labels" : "annotations"] ??= new JsonObject());
            if (existing[key] is not JsonValue current || !current.TryGetValue<string>(out var text) || text != value)
            {
                existing[key] = value;
                changed = true;
            }
        }

        return changed;
    }

    private static bool IsOwnedBy(JsonObject metadata, Canary canary) =>
        metadata["ownerReferences"] is JsonArray references
        && CanaryOwnership.IsOwnedBy(KubernetesJson.Deserialize<List<V1OwnerReference>>(references.ToJsonString()), canary);

    [LoggerMessage(Level = LogLevel.Information, Message = "HTTPRoute {Name}.{Namespace} created")]
    private partial void Created(string name, string @namespace);

    [LoggerMessage(Level = LogLevel.Information, Message = "HTTPRoute {Name}.{Namespace} updated")]
    private partial void Updated(string name, string @namespace);

    [LoggerMessage(Level = LogLevel.Information, Message = "HTTPRoute {Name}.{Namespace} restored to its original configuration")]
    private partial void Restored(string name, string @namespace);
}
