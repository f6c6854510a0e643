using System.Net;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using Flagger.Model;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Flagger.Kubernetes.Client;

/// <summary>
/// Typed reads and writes of the <c>flagger.app</c> resources for a team's own tooling (and the <c>flagger</c> CLI):
/// get, list, watch and wait on Canaries, set their gate annotations, read their events.
/// </summary>
/// <example>
/// <code>
/// using var kubernetes = new k8s.Kubernetes(KubernetesClientConfiguration.BuildDefaultConfig());
/// var flagger = new FlaggerClient(kubernetes);
/// var canary = await flagger.WaitForPhaseAsync("test", "podinfo", CanaryPhase.Succeeded, TimeSpan.FromMinutes(10));
/// </code>
/// </example>
public sealed class FlaggerClient
{
    private const string Group = "flagger.app";
    private const string Version = "v1beta1";
    private const string Canaries = "canaries";
    private const int WatchTimeoutSeconds = 300;
    private static readonly string[] OperatorSelectors = ["app.kubernetes.io/name=flagger", "app=flagger"];

    private readonly IKubernetes client;
    private readonly TimeProvider time;

    /// <summary>Creates a client over a KubernetesClient connection the caller owns.</summary>
    /// <param name="client">The connection (its kubeconfig context decides the cluster and the credentials).</param>
    /// <param name="timeProvider">The clock for <see cref="WaitForPhaseAsync"/>'s timeout; the system clock when null.</param>
    public FlaggerClient(IKubernetes client, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        this.client = client;
        time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>The Canary <paramref name="name"/> in <paramref name="namespace"/>, or null when there is none.</summary>
    /// <param name="namespace">The Canary's namespace.</param>
    /// <param name="name">The Canary's name.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The canary; one whose fields do not fit the model has <see cref="Canary.ReadError"/> set.</returns>
    public async Task<Canary?> GetCanaryAsync(string @namespace, string name, CancellationToken cancellationToken = default)
    {
        try
        {
            var body = await client.CustomObjects.GetNamespacedCustomObjectAsync(Group, Version, @namespace, Canaries, name, cancellationToken).ConfigureAwait(false);
            return FlaggerJson.ReadCanary(((JsonElement)body).GetRawText());
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    /// <summary>The Canaries in <paramref name="namespace"/>, or in every namespace when it is null, by namespace and name.</summary>
    /// <param name="namespace">The namespace; null for all.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The canaries.</returns>
    public async Task<IReadOnlyList<Canary>> ListCanariesAsync(string? @namespace, CancellationToken cancellationToken = default) =>
        [.. (await ListAsync(@namespace, cancellationToken).ConfigureAwait(false)).Items.Values.OrderBy(c => c.Namespace, StringComparer.Ordinal).ThenBy(c => c.Name, StringComparer.Ordinal)];

    /// <summary>
    /// The Canary now and after each change, until cancelled: the first item is the current state (when the canary
    /// exists), then one item per change the API server reports. A watch the server ends is resumed.
    /// </summary>
    /// <param name="namespace">The Canary's namespace.</param>
    /// <param name="name">The Canary's name.</param>
    /// <param name="cancellationToken">Ends the watch (enumeration then throws <see cref="OperationCanceledException"/>).</param>
    /// <returns>The canary's successive states.</returns>
    public async IAsyncEnumerable<Canary> WatchCanaryAsync(string @namespace, string name, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var snapshot in WatchCanariesAsync(@namespace, cancellationToken).ConfigureAwait(false))
        {
            if (snapshot.FirstOrDefault(c => c.Name == name) is { } canary)
            {
                yield return canary;
            }
        }
    }

    /// <summary>
    /// The Canaries of <paramref name="namespace"/> (every namespace when null) now and after each change, until
    /// cancelled: each item is the whole list, by namespace and name.
    /// </summary>
    /// <param name="namespace">The namespace; null for all.</param>
    /// <param name="cancellationToken">Ends the watch (enumeration then throws <see cref="OperationCanceledException"/>).</param>
    /// <returns>The successive lists.</returns>
    public async IAsyncEnumerable<IReadOnlyList<Canary>> WatchCanariesAsync(string? @namespace, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        IReadOnlyList<Canary>? last = null;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var (items, resourceVersion) = await ListAsync(@namespace, cancellationToken).ConfigureAwait(false);
            if (Changed(last, items))
            {
                yield return last = Sorted(items);
            }

            // The server ends a watch after its timeout, or with 410 Gone when the version is too old: list again.
            var events = @namespace is null
                ? client.CustomObjects.WatchListClusterCustomObjectAsync(Group, Version, Canaries, resourceVersion: resourceVersion, timeoutSeconds: WatchTimeoutSeconds, onError: _ => { }, cancellationToken: cancellationToken)
                : client.CustomObjects.WatchListNamespacedCustomObjectAsync(Group, Version, @namespace, Canaries, resourceVersion: resourceVersion, timeoutSeconds: WatchTimeoutSeconds, onError: _ => { }, cancellationToken: cancellationToken);
            await foreach (var (type, item) in events.ConfigureAwait(false))
            {
                if (type is not (WatchEventType.Added or WatchEventType.Modified or WatchEventType.Deleted) || item is not JsonElement element)
                {
                    continue;
                }

                var canary = FlaggerJson.ReadCanary(element.GetRawText());
                var key = (canary.Namespace, canary.Name);
                if (type == WatchEventType.Deleted)
                {
                    items.Remove(key);
                }
                else
                {
                    items[key] = canary;
                }

                yield return last = Sorted(items);
            }
        }
    }

    /// <summary>
    /// Waits until the Canary reaches <paramref name="phase"/> and returns it. Ends early with
    /// <see cref="InvalidOperationException"/> when it reaches the other end state (Failed while waiting for Succeeded, or
    /// Succeeded while waiting for Failed), with <see cref="TimeoutException"/> after <paramref name="timeout"/>.
    /// </summary>
    /// <param name="namespace">The Canary's namespace.</param>
    /// <param name="name">The Canary's name.</param>
    /// <param name="phase">The phase to wait for.</param>
    /// <param name="timeout">How long to wait, on the client's <see cref="TimeProvider"/>.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The canary in <paramref name="phase"/>.</returns>
    public async Task<Canary> WaitForPhaseAsync(string @namespace, string name, CanaryPhase phase, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        using var deadline = new CancellationTokenSource(timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        Canary? last = null;
        try
        {
            await foreach (var canary in WatchCanaryAsync(@namespace, name, linked.Token).ConfigureAwait(false))
            {
                last = canary;
                var now = canary.Status?.Phase;
                if (now == phase)
                {
                    return canary;
                }

                if ((phase, now) is (CanaryPhase.Succeeded, CanaryPhase.Failed) or (CanaryPhase.Failed, CanaryPhase.Succeeded))
                {
                    throw new InvalidOperationException($"canary {name}.{@namespace} reached {now} while waiting for {phase}");
                }
            }
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            // Reported below with the last phase seen.
        }

        throw new TimeoutException($"canary {name}.{@namespace} did not reach {phase} within {timeout}; last phase {last?.Status?.Phase?.ToString() ?? (last is null ? "none (not found)" : "none")}");
    }

    /// <summary>Sets (or, with a null value, removes) annotations on a Canary with a JSON merge patch.</summary>
    /// <param name="namespace">The Canary's namespace.</param>
    /// <param name="name">The Canary's name.</param>
    /// <param name="annotations">The annotations to set; null values remove.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The canary as stored after the patch.</returns>
    public async Task<Canary> AnnotateCanaryAsync(string @namespace, string name, IReadOnlyDictionary<string, string?> annotations, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(annotations);
        var values = new JsonObject();
        foreach (var (key, value) in annotations)
        {
            values[key] = value is null ? null : JsonValue.Create(value);
        }

        var patch = new JsonObject { ["metadata"] = new JsonObject { ["annotations"] = values } };
        var body = await client.CustomObjects.PatchNamespacedCustomObjectAsync(
            new V1Patch(patch.ToJsonString(), V1Patch.PatchType.MergePatch), Group, Version, @namespace, Canaries, name, cancellationToken: cancellationToken).ConfigureAwait(false);
        return FlaggerJson.ReadCanary(((JsonElement)body).GetRawText());
    }

    /// <summary>The MetricTemplate <paramref name="name"/> in <paramref name="namespace"/>, or null when there is none.</summary>
    /// <param name="namespace">The template's namespace.</param>
    /// <param name="name">The template's name.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The template.</returns>
    public async Task<MetricTemplate?> GetMetricTemplateAsync(string @namespace, string name, CancellationToken cancellationToken = default)
    {
        try
        {
            var body = await client.CustomObjects.GetNamespacedCustomObjectAsync(Group, Version, @namespace, "metrictemplates", name, cancellationToken).ConfigureAwait(false);
            return FlaggerJson.ReadMetricTemplate(((JsonElement)body).GetRawText());
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    /// <summary>The Kubernetes events recorded on a Canary, oldest first.</summary>
    /// <param name="namespace">The Canary's namespace.</param>
    /// <param name="name">The Canary's name.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The events.</returns>
    public async Task<IReadOnlyList<Corev1Event>> ListCanaryEventsAsync(string @namespace, string name, CancellationToken cancellationToken = default)
    {
        var events = await client.CoreV1.ListNamespacedEventAsync(
            @namespace, fieldSelector: $"involvedObject.name={name},involvedObject.kind=Canary", cancellationToken: cancellationToken).ConfigureAwait(false);
        return [.. events.Items.OrderBy(e => e.LastTimestamp ?? e.EventTime ?? e.FirstTimestamp ?? e.Metadata?.CreationTimestamp)];
    }

    /// <summary>
    /// The version of the operator running in the cluster: the <c>app.kubernetes.io/version</c> label, or else the image
    /// tag, of the Deployment labelled <c>app.kubernetes.io/name=flagger</c> (as deploy/ installs it) or <c>app=flagger</c>.
    /// </summary>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The version, or null when no such Deployment is found.</returns>
    public async Task<string?> GetOperatorVersionAsync(CancellationToken cancellationToken = default)
    {
        V1Deployment? operatorDeployment = null;
        foreach (var selector in OperatorSelectors)
        {
            var deployments = await client.AppsV1.ListDeploymentForAllNamespacesAsync(labelSelector: selector, cancellationToken: cancellationToken).ConfigureAwait(false);
            operatorDeployment = deployments.Items.FirstOrDefault();
            if (operatorDeployment is not null)
            {
                break;
            }
        }

        if (operatorDeployment is null)
        {
            return null;
        }

        if (operatorDeployment.Metadata?.Labels?.TryGetValue("app.kubernetes.io/version", out var version) == true)
        {
            return version;
        }

        var image = operatorDeployment.Spec?.Template?.Spec?.Containers?.FirstOrDefault()?.Image ?? string.Empty;
        var colon = image.LastIndexOf(':');
        return colon > image.LastIndexOf('/') ? image[(colon + 1)..] : image;
    }

    private async Task<(Dictionary<(string, string), Canary> Items, string ResourceVersion)> ListAsync(string? @namespace, CancellationToken cancellationToken)
    {
        var body = (JsonElement)(@namespace is null
            ? await client.CustomObjects.ListClusterCustomObjectAsync(Group, Version, Canaries, cancellationToken: cancellationToken).ConfigureAwait(false)
            : await client.CustomObjects.ListNamespacedCustomObjectAsync(Group, Version, @namespace, Canaries, cancellationToken: cancellationToken).ConfigureAwait(false));
        var items = new Dictionary<(string, string), Canary>();
        if (body.TryGetProperty("items", out var array) && array.ValueKind == JsonValueKind.Array)
        {
            foreach (var element in array.EnumerateArray())
            {
                var canary = FlaggerJson.ReadCanary(element.GetRawText());
                items[(canary.Namespace, canary.Name)] = canary;
            }
        }

        var version = body.TryGetProperty("metadata", out var meta) && meta.TryGetProperty("resourceVersion", out var v) ? v.GetString() ?? string.Empty : string.Empty;
        return (items, version);
    }

    private static List<Canary> Sorted(Dictionary<(string, string), Canary> items) =>
        [.. items.Values.OrderBy(c => c.Namespace, StringComparer.Ordinal).ThenBy(c => c.Name, StringComparer.Ordinal)];

    private static bool Changed(IReadOnlyList<Canary>? last, Dictionary<(string, string), Canary> items) =>
        last is null || last.Count != items.Count
        || last.Any(c => !items.TryGetValue((c.Namespace, c.Name), out var now) || now.Metadata.ResourceVersion != c.Metadata.ResourceVersion);
}
