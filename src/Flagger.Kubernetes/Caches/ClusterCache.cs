using System.Text.Json;
using System.Text.Json.Nodes;
using Flagger.Model;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Flagger.Kubernetes.Caches;

/// <summary>
/// The watch-fed caches every adapter reads from: Canary, MetricTemplate, AlertProvider, Deployment, DaemonSet,
/// Service, ConfigMap, Secret and HorizontalPodAutoscaler, in the watched namespace or all of them. Started on
/// first use; a read waits for the first list of every resource, after which a miss means "does not exist".
/// </summary>
internal sealed partial class ClusterCache : IAsyncDisposable
{
    internal const string FlaggerGroup = "flagger.app";
    internal const string FlaggerVersion = "v1beta1";

    /// <summary>How long the server keeps each watch open before it ends it and the informer resumes it.</summary>
    internal const int WatchTimeoutSeconds = 300;

    private readonly CancellationTokenSource stop = new();
    private readonly Lock gate = new();
    private readonly TimeProvider wallClock;
    private readonly InformerHandle[] all;
    private Task? running;
    private volatile bool synced;

    public ClusterCache(IKubernetes client, IOptions<KubernetesOptions> options, ILoggerFactory? loggerFactory = null)
        : this(client, options.Value.Namespace, options.Value.CacheClock ?? TimeProvider.System, (loggerFactory ?? Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance).CreateLogger<ClusterCache>())
    {
    }

    internal ClusterCache(IKubernetes client, string? watchNamespace, TimeProvider wallClock, ILogger logger)
    {
        this.wallClock = wallClock;
        var ns = string.IsNullOrEmpty(watchNamespace) ? null : watchNamespace;
        Canaries = Custom(client, ns, FlaggerGroup, FlaggerVersion, "canaries", e => FlaggerJson.ReadCanary(e.GetRawText()), c => Key(c.Metadata), logger);
        MetricTemplates = Custom(client, ns, FlaggerGroup, FlaggerVersion, "metrictemplates", e => FlaggerJson.ReadMetricTemplate(e.GetRawText()), m => Key(m.Metadata), logger);
        AlertProviders = Custom(client, ns, FlaggerGroup, FlaggerVersion, "alertproviders", e => FlaggerJson.ReadAlertProvider(e.GetRawText()), a => Key(a.Metadata), logger);
        Hpas = Custom(client, ns, "autoscaling", "v2", "horizontalpodautoscalers", e => JsonNode.Parse(e.GetRawText())!.AsObject(), Key, logger);
        Deployments = Typed<V1Deployment>(
            "deployments",
            async ct => ns is null ? Items(await client.AppsV1.ListDeploymentForAllNamespacesAsync(cancellationToken: ct).ConfigureAwait(false)) : Items(await client.AppsV1.ListNamespacedDeploymentAsync(ns, cancellationToken: ct).ConfigureAwait(false)),
            (rv, onError, ct) => ns is null
                ? client.AppsV1.WatchListDeploymentForAllNamespacesAsync(allowWatchBookmarks: true, resourceVersion: rv, timeoutSeconds: WatchTimeoutSeconds, onError: onError, cancellationToken: ct)
                : client.AppsV1.WatchListNamespacedDeploymentAsync(ns, allowWatchBookmarks: true, resourceVersion: rv, timeoutSeconds: WatchTimeoutSeconds, onError: onError, cancellationToken: ct),
            logger);
        DaemonSets = Typed<V1DaemonSet>(
            "daemonsets",
            async ct => ns is null ? Items(await client.AppsV1.ListDaemonSetForAllNamespacesAsync(cancellationToken: ct).ConfigureAwait(false)) : Items(await client.AppsV1.ListNamespacedDaemonSetAsync(ns, cancellationToken: ct).ConfigureAwait(false)),
            (rv, onError, ct) => ns is null
                ? client.AppsV1.WatchListDaemonSetForAllNamespacesAsync(allowWatchBookmarks: true, resourceVersion: rv, timeoutSeconds: WatchTimeoutSeconds, onError: onError, cancellationToken: ct)
                : client.AppsV1.WatchListNamespacedDaemonSetAsync(ns, allowWatchBookmarks: true, resourceVersion: rv, timeoutSeconds: WatchTimeoutSeconds, onError: onError, cancellationToken: ct),
            logger);
        Services = Typed<V1Service>(
            "services",
            async ct => ns is null ? Items(await client.CoreV1.ListServiceForAllNamespacesAsync(cancellationToken: ct).ConfigureAwait(false)) : Items(await client.CoreV1.ListNamespacedServiceAsync(ns, cancellationToken: ct).ConfigureAwait(false)),
            (rv, onError, ct) => ns is null
                ? client.CoreV1.WatchListServiceForAllNamespacesAsync(allowWatchBookmarks: true, resourceVersion: rv, timeoutSeconds: WatchTimeoutSeconds, onError: onError, cancellationToken: ct)
                : client.CoreV1.WatchListNamespacedServiceAsync(ns, allowWatchBookmarks: true, resourceVersion: rv, timeoutSeconds: WatchTimeoutSeconds, onError: onError, cancellationToken: ct),
            logger);
        ConfigMaps = Typed<V1ConfigMap>(
            "configmaps",
            async ct => ns is null ? Items(await client.CoreV1.ListConfigMapForAllNamespacesAsync(cancellationToken: ct).ConfigureAwait(false)) : Items(await client.CoreV1.ListNamespacedConfigMapAsync(ns, cancellationToken: ct).ConfigureAwait(false)),
            (rv, onError, ct) => ns is null
                ? client.CoreV1.WatchListConfigMapForAllNamespacesAsync(allowWatchBookmarks: true, resourceVersion: rv, timeoutSeconds: WatchTimeoutSeconds, onError: onError, cancellationToken: ct)
                : client.CoreV1.WatchListNamespacedConfigMapAsync(ns, allowWatchBookmarks: true, resourceVersion: rv, timeoutSeconds: WatchTimeoutSeconds, onError: onError, cancellationToken: ct),
            logger);
        // Secrets are kept without their data (SecretDigest): a checksum, metadata and type.
        Secrets = Typed<V1Secret>(
            "secrets",
            async ct =>
            {
                var (items, version) = ns is null
                    ? Items(await client.CoreV1.ListSecretForAllNamespacesAsync(cancellationToken: ct).ConfigureAwait(false))
                    : Items(await client.CoreV1.ListNamespacedSecretAsync(ns, cancellationToken: ct).ConfigureAwait(false));
                return ((IReadOnlyList<V1Secret>)[.. items.Select(SecretDigest.Strip)], version);
            },
            (rv, onError, ct) => Stripped(ns is null
                ? client.CoreV1.WatchListSecretForAllNamespacesAsync(allowWatchBookmarks: true, resourceVersion: rv, timeoutSeconds: WatchTimeoutSeconds, onError: onError, cancellationToken: ct)
                : client.CoreV1.WatchListNamespacedSecretAsync(ns, allowWatchBookmarks: true, resourceVersion: rv, timeoutSeconds: WatchTimeoutSeconds, onError: onError, cancellationToken: ct)),
            logger);
        all = [Wrap(Canaries), Wrap(MetricTemplates), Wrap(AlertProviders), Wrap(Hpas), Wrap(Deployments), Wrap(DaemonSets), Wrap(Services), Wrap(ConfigMaps), Wrap(Secrets)];
    }

    public Informer<Canary> Canaries { get; }

    public Informer<MetricTemplate> MetricTemplates { get; }

    public Informer<AlertProvider> AlertProviders { get; }

    /// <summary>HPAs as JSON: the embedded server and old clusters may hold v2beta1 shapes the typed v2 model would drop.</summary>
    public Informer<JsonObject> Hpas { get; }

    public Informer<V1Deployment> Deployments { get; }

    public Informer<V1DaemonSet> DaemonSets { get; }

    public Informer<V1Service> Services { get; }

    public Informer<V1ConfigMap> ConfigMaps { get; }

    public Informer<V1Secret> Secrets { get; }

    /// <summary>
    /// Starts the watches (once) and waits until each resource has been listed; fails fast, naming the resource,
    /// when one is not served at all (the watches keep retrying, so installing the CRD later recovers).
    /// </summary>
    public async Task SyncAsync(CancellationToken cancellationToken)
    {
        // Every adapter call of every tick comes here: once synced, answer without building a WhenAll.
        if (synced)
        {
            return;
        }

        lock (gate)
        {
            running ??= Task.WhenAll(all.Select(i => i.Run(wallClock, stop.Token)));
        }

        var listed = Task.WhenAll(all.Select(i => i.Synced));
        while (!listed.IsCompleted)
        {
            if (all.Select(i => i.NotServed()).FirstOrDefault(m => m is not null) is { } missing)
            {
                throw new InvalidOperationException(missing);
            }

            await Task.WhenAny(listed, Task.Delay(TimeSpan.FromMilliseconds(50), wallClock, cancellationToken)).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
        }

        await listed.ConfigureAwait(false);
        synced = true;
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync().ConfigureAwait(false);
        if (running is not null)
        {
            await running.ConfigureAwait(false);
        }

        stop.Dispose();
    }

    internal static ObjectKey Key(ObjectMetadata m) => new(m.Namespace ?? string.Empty, m.Name ?? string.Empty, m.ResourceVersion);

    internal static ObjectKey Key(V1ObjectMeta? m) => new(m?.NamespaceProperty ?? string.Empty, m?.Name ?? string.Empty, m?.ResourceVersion);

    internal static ObjectKey Key(JsonObject o) => new(
        o["metadata"]?["namespace"]?.GetValue<string>() ?? string.Empty,
        o["metadata"]?["name"]?.GetValue<string>() ?? string.Empty,
        o["metadata"]?["resourceVersion"]?.GetValue<string>());

    private static (IReadOnlyList<T>, string) Items<T>(IItems<T> list)
        where T : IKubernetesObject<V1ObjectMeta> => (list.Items.ToList(), ((IMetadata<V1ListMeta>)list).Metadata?.ResourceVersion ?? string.Empty);

    private static async IAsyncEnumerable<(WatchEventType, V1Secret)> Stripped(IAsyncEnumerable<(WatchEventType, V1Secret)> events)
    {
        await foreach (var (type, secret) in events.ConfigureAwait(false))
        {
            yield return (type, SecretDigest.Strip(secret));
        }
    }

    private static Informer<T> Typed<T>(
        string resource,
        Func<CancellationToken, Task<(IReadOnlyList<T>, string)>> list,
        Func<string, Action<Exception>, CancellationToken, IAsyncEnumerable<(WatchEventType, T)>> watch,
        ILogger logger)
        where T : class, IKubernetesObject<V1ObjectMeta> => new(resource, list, watch, o => Key(o.Metadata), logger);

    internal static Informer<T> Custom<T>(IKubernetes client, string? ns, string group, string version, string plural, Func<JsonElement, T> convert, Func<T, ObjectKey> key, ILogger logger)
        where T : class
    {
        // Canaries, MetricTemplates and AlertProviders the model cannot read come back with ReadError, so the operator
        // reports them on the object. Anything else that cannot be read is left out and logged: it must not stop the
        // list, and every other object.
        T? Convert(JsonElement element)
        {
            try
            {
                return convert(element);
            }
            catch (JsonException e)
            {
                var meta = element.TryGetProperty("metadata", out var m) ? m : default;
                var name = meta.ValueKind == JsonValueKind.Object && meta.TryGetProperty("name", out var n) ? n.GetString() : "?";
                var space = meta.ValueKind == JsonValueKind.Object && meta.TryGetProperty("namespace", out var s) ? s.GetString() : "?";
                LogUnreadable(logger, plural, name, space, e.Path, e);
                return null;
            }
        }

        async Task<(IReadOnlyList<T>, string)> ListAsync(CancellationToken ct)
        {
            var body = (JsonElement)(ns is null
                ? await client.CustomObjects.ListClusterCustomObjectAsync(group, version, plural, cancellationToken: ct).ConfigureAwait(false)
                : await client.CustomObjects.ListNamespacedCustomObjectAsync(group, version, ns, plural, cancellationToken: ct).ConfigureAwait(false));
            var items = body.TryGetProperty("items", out var array) && array.ValueKind == JsonValueKind.Array ? array.EnumerateArray().Select(Convert).OfType<T>().ToList() : [];
            var rv = body.TryGetProperty("metadata", out var meta) && meta.TryGetProperty("resourceVersion", out var v) ? v.GetString() ?? string.Empty : string.Empty;
            return (items, rv);
        }

        async IAsyncEnumerable<(WatchEventType, T)> WatchAsync(string rv, Action<Exception> onError, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
        {
            var events = ns is null
                ? client.CustomObjects.WatchListClusterCustomObjectAsync(group, version, plural, allowWatchBookmarks: true, resourceVersion: rv, timeoutSeconds: WatchTimeoutSeconds, onError: onError, cancellationToken: ct)
                : client.CustomObjects.WatchListNamespacedCustomObjectAsync(group, version, ns, plural, allowWatchBookmarks: true, resourceVersion: rv, timeoutSeconds: WatchTimeoutSeconds, onError: onError, cancellationToken: ct);
            await foreach (var (type, item) in events.ConfigureAwait(false))
            {
                if (Convert((JsonElement)item) is { } converted)
                {
                    yield return (type, converted);
                }
            }
        }

        return new Informer<T>($"{plural}.{group}", ListAsync, WatchAsync, key, logger);
    }

    private static InformerHandle Wrap<T>(Informer<T> informer)
        where T : class => new(informer.RunAsync, () => informer.Synced, () => informer.NotServed);

    private sealed record InformerHandle(Func<TimeProvider, CancellationToken, Task> Run, Func<Task> SyncedTask, Func<string?> NotServed)
    {
        public Task Synced => SyncedTask();
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "{Plural} {Name}.{Namespace} cannot be read and is ignored until fixed (field {Path})")]
    private static partial void LogUnreadable(ILogger logger, string plural, string? name, string? @namespace, string? path, Exception error);
}
