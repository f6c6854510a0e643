using Flagger.Istio.Model;
using Flagger.Kubernetes;
using Flagger.Model;
using Flagger.Routing;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Flagger.Istio;

/// <summary>
/// The <c>istio</c> mesh provider: a VirtualService <c>&lt;svc&gt;</c> splitting traffic between the
/// <c>&lt;svc&gt;-primary</c> and <c>&lt;svc&gt;-canary</c> Services, and a DestinationRule for each of them.
/// </summary>
internal sealed partial class IstioRouter(IstioObjects objects, IOptions<IstioRouterOptions> options, ILogger<IstioRouter>? logger = null) : IMeshRouter
{
    private readonly ILogger log = logger ?? NullLogger<IstioRouter>.Instance;
    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<Canary, ObjectVersions> reconciled = [];

    /// <summary>Where kubectl keeps what the user applied; the VirtualService is restored from it on finalise.</summary>
    public const string KubectlAnnotation = Adoption.KubectlAnnotation;

    /// <summary>Where Flagger keeps an adopted VirtualService's spec when kubectl's annotation is absent.</summary>
    public const string OriginalConfigurationAnnotation = Adoption.OriginalConfigurationAnnotation;

    public async Task ReconcileAsync(Canary canary, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(canary);

        // What a reconcile does depends on the canary and the three objects alone. When the canary is the same
        // instance (watch caches replace, never change, their objects) and the objects have the resourceVersions a
        // reconcile last left unchanged, it would again build and compare them and write nothing: skip it.
        var before = Versions(canary);
        if (before is not null && reconciled.TryGetValue(canary, out var seen) && seen == before)
        {
            return;
        }

        await ReconcileDestinationRuleAsync(canary, canary.PrimaryName(), cancellationToken).ConfigureAwait(false);
        await ReconcileDestinationRuleAsync(canary, canary.CanaryName(), cancellationToken).ConfigureAwait(false);
        await objects.RetryOnConflictAsync(ct => ReconcileVirtualServiceAsync(canary, ct), cancellationToken).ConfigureAwait(false);
        if (before is not null && Versions(canary) == before)
        {
            reconciled.AddOrUpdate(canary, before);
        }
    }

    public Task SetRoutesAsync(Canary canary, TrafficRoutes routes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(canary);
        return objects.RetryOnConflictAsync(
            async ct =>
            {
                var current = await GetVirtualServiceAsync(canary, ct).ConfigureAwait(false);
                var desired = IstioSpecs.VirtualService(canary, routes);
                if (IstioSpecs.SameJson(desired, current.Spec))
                {
                    return;
                }

                current.Spec = desired;
                await objects.ReplaceAsync(current, VirtualService.Plural, canary.Namespace, ct).ConfigureAwait(false);
            },
            cancellationToken);
    }

    public async Task<TrafficRoutes> GetRoutesAsync(Canary canary, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(canary);
        var current = await GetVirtualServiceAsync(canary, cancellationToken).ConfigureAwait(false);
        var (routes, problem) = IstioSpecs.ReadRoutes(canary, current.Spec);
        return problem is null ? routes : throw new InvalidOperationException(problem);
    }

    public Task FinalizeAsync(Canary canary, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(canary);
        return objects.RetryOnConflictAsync(
            async ct =>
            {
                var current = await objects.GetAsync<VirtualService>(VirtualService.Plural, canary.Namespace, canary.ApexName(), ct).ConfigureAwait(false);
                if (current is null)
                {
                    return;
                }

                var original = OriginalSpec(current);
                if (original is null)
                {
                    // Flagger created it: garbage collection removes it with the Canary.
                    if (IsOwnedBy(current, canary))
                    {
                        return;
                    }

                    throw new InvalidOperationException(Adoption.OriginalNotFound(VirtualService.KindName, current.Metadata.Name, canary.Namespace));
                }

                current.Spec = original;
                current.Metadata.Annotations?.Remove(OriginalConfigurationAnnotation);
                await objects.ReplaceAsync(current, VirtualService.Plural, canary.Namespace, ct).ConfigureAwait(false);
                Restored(VirtualService.KindName, current.Metadata.Name, canary.Namespace);
            },
            cancellationToken);
    }

    private Task ReconcileDestinationRuleAsync(Canary canary, string name, CancellationToken cancellationToken) =>
        objects.RetryOnConflictAsync(
            async ct =>
            {
                var desired = IstioSpecs.DestinationRule(canary, name);
                var current = await objects.GetAsync<DestinationRule>(DestinationRule.Plural, canary.Namespace, name, ct).ConfigureAwait(false);
                if (current is null)
                {
                    var created = new DestinationRule { ApiVersion = objects.ApiVersion, Metadata = NewMetadata(canary, name), Spec = desired };
                    await objects.CreateAsync(created, DestinationRule.Plural, canary.Namespace, ct).ConfigureAwait(false);
                    Created(DestinationRule.KindName, name, canary.Namespace);
                }
                else if (!IstioSpecs.SameJson(desired, current.Spec))
                {
                    current.Spec = desired;
                    await objects.ReplaceAsync(current, DestinationRule.Plural, canary.Namespace, ct).ConfigureAwait(false);
                    Updated(DestinationRule.KindName, name, canary.Namespace);
                }
            },
            cancellationToken);

    private async Task ReconcileVirtualServiceAsync(Canary canary, CancellationToken cancellationToken)
    {
        var current = await objects.GetAsync<VirtualService>(VirtualService.Plural, canary.Namespace, canary.ApexName(), cancellationToken).ConfigureAwait(false);
        if (current is null)
        {
            var metadata = NewMetadata(canary, canary.ApexName());
            ApplyApexMetadata(metadata, canary);
            var created = new VirtualService { ApiVersion = objects.ApiVersion, Metadata = metadata, Spec = IstioSpecs.VirtualService(canary, TrafficRoutes.AllToPrimary) };
            await objects.CreateAsync(created, VirtualService.Plural, canary.Namespace, cancellationToken).ConfigureAwait(false);
            Created(VirtualService.KindName, metadata.Name, canary.Namespace);
            return;
        }

        // Keep the split the analysis has reached; only a spec that cannot be read starts over from the primary.
        var (routes, problem) = IstioSpecs.ReadRoutes(canary, current.Spec);
        var desired = IstioSpecs.VirtualService(canary, problem is null ? routes : TrafficRoutes.AllToPrimary);
        var specChanged = IstioSpecs.DiffersBeyondTraffic(desired, current.Spec);
        var metadataChanged = ApplyApexMetadata(current.Metadata, canary);
        if (!specChanged && !metadataChanged)
        {
            return;
        }

        if (specChanged)
        {
            var annotations = current.Metadata.Annotations ??= new Dictionary<string, string>();
            if (Adoption.MustKeepOriginal(annotations.AsReadOnly(), IsOwnedBy(current, canary)))
            {
                // Adopting a VirtualService nobody can restore from kubectl's annotation: keep what it was.
                annotations[OriginalConfigurationAnnotation] = IstioJson.Serialize(current.Spec);
            }

            current.Spec = desired;
        }

        await objects.ReplaceAsync(current, VirtualService.Plural, canary.Namespace, cancellationToken).ConfigureAwait(false);
        Updated(VirtualService.KindName, current.Metadata.Name, canary.Namespace);
    }

    // Null when the watch cache cannot answer for one of them or one does not exist yet: then reconcile in full.
    private ObjectVersions? Versions(Canary canary) =>
        objects.TryGetVersion(DestinationRule.Plural, canary.Namespace, canary.PrimaryName(), out var primary) && primary is not null
        && objects.TryGetVersion(DestinationRule.Plural, canary.Namespace, canary.CanaryName(), out var canaryRule) && canaryRule is not null
        && objects.TryGetVersion(VirtualService.Plural, canary.Namespace, canary.ApexName(), out var apex) && apex is not null
            ? new ObjectVersions(primary, canaryRule, apex)
            : null;

    private async Task<VirtualService> GetVirtualServiceAsync(Canary canary, CancellationToken cancellationToken) =>
        await objects.GetAsync<VirtualService>(VirtualService.Plural, canary.Namespace, canary.ApexName(), cancellationToken).ConfigureAwait(false)
        ?? throw new InvalidOperationException($"VirtualService {canary.ApexName()}.{canary.Namespace} not found; Flagger creates it when it reconciles the canary");

    private static VirtualServiceSpec? OriginalSpec(VirtualService current) =>
        Adoption.OriginalSpec(current.Metadata.Annotations?.AsReadOnly()) is { } original ? IstioJson.Deserialize<VirtualServiceSpec>(original) : null;

    private V1ObjectMeta NewMetadata(Canary canary, string name)
    {
        var metadata = new V1ObjectMeta { Name = name, NamespaceProperty = canary.Namespace };
        if (options.Value.SetOwnerReferences && !string.IsNullOrEmpty(canary.Metadata.Uid))
        {
            metadata.OwnerReferences = [CanaryOwnership.ControllerReference(canary)];
        }

        return metadata;
    }

    /// <summary>
    /// Sets <c>spec.service.apex</c> labels and annotations on the VirtualService, and the annotations that keep Flux
    /// from reverting what Flagger writes (as Flagger does); true when anything changed.
    /// </summary>
    private static bool ApplyApexMetadata(V1ObjectMeta metadata, Canary canary)
    {
        var changed = false;
        foreach (var (label, key, value) in Adoption.ApexMetadata(canary))
        {
            var existing = label ? metadata.Labels ??= new Dictionary<string, string>() : metadata.Annotations ??= new Dictionary<string, string>();
            if (!existing.TryGetValue(key, out var current) || current != value)
            {
                existing[key] = value;
                changed = true;
            }
        }

        return changed;
    }

    private static bool IsOwnedBy(VirtualService service, Canary canary) => CanaryOwnership.IsOwnedBy(service.Metadata.OwnerReferences, canary);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Kind} {Name}.{Namespace} created")]
    private partial void Created(string kind, string name, string @namespace);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Kind} {Name}.{Namespace} updated")]
    private partial void Updated(string kind, string name, string @namespace);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Kind} {Name}.{Namespace} restored to its original configuration")]
    private partial void Restored(string kind, string name, string @namespace);

    /// <summary>The resourceVersions of the primary and canary DestinationRules and the VirtualService.</summary>
    private sealed record ObjectVersions(string PrimaryRule, string CanaryRule, string VirtualService);
}
