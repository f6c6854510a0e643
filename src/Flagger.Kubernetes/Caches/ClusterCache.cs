using System.Text.Json;
using System.Text.Json.Nodes;
using Flagger.Model;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Flagger.Kubernetes.Caches;

/// <summary>
/// The watch-fed caches every adapter reads from: Canary, MetricTemplate, AlertProvider, Deployment, DaemonSet,
/// Service, ConfigMap, Secret and HorizontalPodAutoscaler, in the watched namespace or all of them. Started on
/// first use; a read waits for the first list of every resource, after which a miss means "does not exist".
/// ConfigMaps and Secrets are cached as metadata only.
/// </summary>
internal sealed partial class ClusterCache : IAsyncDisposable
{
    internal const string FlaggerGroup = "flagger.app";
    internal const string FlaggerVersion = "v1beta1";

    /// <summary>How long the server keeps each watch open before it ends it and the informer resumes it.</summary>
    internal const int WatchTimeoutSeconds = 300;

    /// <summary>Objects per list request (client-go's pager default), so no list is one unbounded response.</summary>
    internal const int PageSize = 500;

    /// <summary>
    /// Secrets per list request: fewer, for a server that ignores the metadata-only form and sends whole Secrets of
    /// up to 1 MiB each (the request offers plain JSON as a fallback, as client-go's metadata client does): 100 keeps
    /// a page's transient data near 100 MB even then.
    /// </summary>
    internal const int SecretPageSize = 100;

    // The metadata-only forms kube-apiserver serves (client-go's metadata informers ask the same), each with plain
    // JSON as the fallback a server without them answers: the projection below keeps only the metadata either way.
    private static readonly IReadOnlyDictionary<string, IReadOnlyList<string>> ListAccept = new Dictionary<string, IReadOnlyList<string>>
    {
        ["Accept"] = ["application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1, application/json"],
    };

    private static readonly IReadOnlyDictionary<string, IReadOnlyList<string>> WatchAccept = new Dictionary<string, IReadOnlyList<string>>
    {
        ["Accept"] = ["application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1, application/json"],
    };

    private const string LastApplied = "kubectl.kubernetes.io/last-applied-configuration";

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
            Pages<V1Deployment, V1DeploymentList>((next, ct) => ns is null ? client.AppsV1.ListDeploymentForAllNamespacesAsync(continueParameter: next, limit: PageSize, cancellationToken: ct) : client.AppsV1.ListNamespacedDeploymentAsync(ns, continueParameter: next, limit: PageSize, cancellationToken: ct)),
            (rv, onError, ct) => ns is null
                ? client.AppsV1.WatchListDeploymentForAllNamespacesAsync(allowWatchBookmarks: true, resourceVersion: rv, timeoutSeconds: WatchTimeoutSeconds, onError: onError, cancellationToken: ct)
                : client.AppsV1.WatchListNamespacedDeploymentAsync(ns, allowWatchBookmarks: true, resourceVersion: rv, timeoutSeconds: WatchTimeoutSeconds, onError: onError, cancellationToken: ct),
            logger);
        DaemonSets = Typed<V1DaemonSet>(
            "daemonsets",
            Pages<V1DaemonSet, V1DaemonSetList>((next, ct) => ns is null ? client.AppsV1.ListDaemonSetForAllNamespacesAsync(continueParameter: next, limit: PageSize, cancellationToken: ct) : client.AppsV1.ListNamespacedDaemonSetAsync(ns, continueParameter: next, limit: PageSize, cancellationToken: ct)),
            (rv, onError, ct) => ns is null
                ? client.AppsV1.WatchListDaemonSetForAllNamespacesAsync(allowWatchBookmarks: true, resourceVersion: rv, timeoutSeconds: WatchTimeoutSeconds, onError: onError, cancellationToken: ct)
                : client.AppsV1.WatchListNamespacedDaemonSetAsync(ns, allowWatchBookmarks: true, resourceVersion: rv, timeoutSeconds: WatchTimeoutSeconds, onError: onError, cancellationToken: ct),
            logger);
        Services = Typed<V1Service>(
            "services",
            Pages<V1Service, V1ServiceList>((next, ct) => ns is null ? client.CoreV1.ListServiceForAllNamespacesAsync(continueParameter: next, limit: PageSize, cancellationToken: ct) : client.CoreV1.ListNamespacedServiceAsync(ns, continueParameter: next, limit: PageSize, cancellationToken: ct)),
            (rv, onError, ct) => ns is null
                ? client.CoreV1.WatchListServiceForAllNamespacesAsync(allowWatchBookmarks: true, resourceVersion: rv, timeoutSeconds: WatchTimeoutSeconds, onError: onError, cancellationToken: ct)
                : client.CoreV1.WatchListNamespacedServiceAsync(ns, allowWatchBookmarks: true, resourceVersion: rv, timeoutSeconds: WatchTimeoutSeconds, onError: onError, cancellationToken: ct),
            logger);
        // ConfigMaps and Secrets are listed and watched as metadata only (PartialObjectMetadata): no value of any
        // of them crosses the wire for the cache. Config tracking reads the few a target references, by name, when
        // their resourceVersion changes (ConfigContents).
        ConfigMaps = MetadataOnly<V1ConfigMap, V1ConfigMapList>(
            "configmaps",
            PageSize,
            (q, ct) => ns is null
                ? client.CoreV1.ListConfigMapForAllNamespacesWithHttpMessagesAsync(allowWatchBookmarks: q.Watch, continueParameter: q.Continue, limit: q.Limit, resourceVersion: q.ResourceVersion, timeoutSeconds: q.TimeoutSeconds, watch: q.Watch, customHeaders: q.Accept, cancellationToken: ct)
                : client.CoreV1.ListNamespacedConfigMapWithHttpMessagesAsync(ns, allowWatchBookmarks: q.Watch, continueParameter: q.Continue, limit: q.Limit, resourceVersion: q.ResourceVersion, timeoutSeconds: q.TimeoutSeconds, watch: q.Watch, customHeaders: q.Accept, cancellationToken: ct),
            logger);
        Secrets = MetadataOnly<V1Secret, V1SecretList>(
            "secrets",
            SecretPageSize,
            (q, ct) => ns is null
                ? client.CoreV1.ListSecretForAllNamespacesWithHttpMessagesAsync(allowWatchBookmarks: q.Watch, continueParameter: q.Continue, limit: q.Limit, resourceVersion: q.ResourceVersion, timeoutSeconds: q.TimeoutSeconds, watch: q.Watch, customHeaders: q.Accept, cancellationToken: ct)
                : client.CoreV1.ListNamespacedSecretWithHttpMessagesAsync(ns, allowWatchBookmarks: q.Watch, continueParameter: q.Continue, limit: q.Limit, resourceVersion: q.ResourceVersion, timeoutSeconds: q.TimeoutSeconds, watch: q.Watch, customHeaders: q.Accept, cancellationToken: ct),
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

    /// <summary>The metadata of every ConfigMap in scope (no data: see <see cref="Configs.ConfigContents"/>).</summary>
    public Informer<V1ObjectMeta> ConfigMaps { get; }

    /// <summary>The metadata of every Secret in scope (no data: see <see cref="Configs.ConfigContents"/>).</summary>
    public Informer<V1ObjectMeta> Secrets { get; }

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

    /// <summary>
    /// A list read in pages (client-go's pager; the page function asks for one with its limit), each page reduced to
    /// what the cache keeps before the next is read. A continue token that expires mid-list (410) ends the list
    /// with that error: the informer backs off and lists again from the start, rather than asking for everything
    /// in one response as client-go's fallback does.
    /// </summary>
    private static Func<CancellationToken, Task<(IReadOnlyList<T>, string)>> Pages<T, TList>(Func<string?, CancellationToken, Task<TList>> page)
        where TList : IItems<T>, IMetadata<V1ListMeta> => Pages<T, TList, T>(page, item => item);

    private static Func<CancellationToken, Task<(IReadOnlyList<T>, string)>> Pages<T, TList, TItem>(Func<string?, CancellationToken, Task<TList>> page, Func<TItem, T> keep)
        where TList : IItems<TItem>, IMetadata<V1ListMeta> => async ct =>
        {
            var items = new List<T>();
            string? next = null;
            string version;
            do
            {
                var list = await page(next, ct).ConfigureAwait(false);
                items.AddRange((list.Items ?? []).Select(keep));
                version = list.Metadata?.ResourceVersion ?? string.Empty;
                next = list.Metadata?.ContinueProperty is { Length: > 0 } token ? token : null;
            }
            while (next is not null);

            return (items, version);
        };

    /// <summary>
    /// An informer of the metadata of <paramref name="resource"/>: lists in pages of <paramref name="pageSize"/> and
    /// watches, both through the one list call of the resource (<paramref name="call"/>), with the metadata-only Accept headers, and keeps each object's metadata without the bulky parts
    /// (<see cref="Slim"/>). The wire objects are read as the typed kind with no data, which is also what a
    /// server that ignored the header sends, data and all, and is dropped here.
    /// </summary>
    private static Informer<V1ObjectMeta> MetadataOnly<TObject, TList>(
        string resource,
        int pageSize,
        Func<MetadataQuery, CancellationToken, Task<HttpOperationResponse<TList>>> call,
        ILogger logger)
        where TObject : class, IKubernetesObject<V1ObjectMeta>
        where TList : IItems<TObject>, IMetadata<V1ListMeta>
    {
        var pages = Pages<V1ObjectMeta, TList, TObject>(
            async (next, ct) => (await call(new MetadataQuery(ListAccept, Continue: next, Limit: pageSize), ct).ConfigureAwait(false)).Body,
            o => Slim(o.Metadata) ?? new V1ObjectMeta());

        async IAsyncEnumerable<(WatchEventType, V1ObjectMeta)> WatchAsync(string rv, Action<Exception> onError, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
        {
            // The generated WatchListXAsync methods take no headers: this is the same call with them (the extension is
            // marked obsolete in favour of those methods, which cannot ask for the metadata-only form).
#pragma warning disable CS0618
            var events = call(new MetadataQuery(WatchAccept, ResourceVersion: rv, Watch: true, TimeoutSeconds: WatchTimeoutSeconds), ct).WatchAsync<TObject, TList>(onError, ct);
#pragma warning restore CS0618
            await foreach (var (type, item) in events.ConfigureAwait(false))
            {
                yield return (type, Slim(item.Metadata) ?? new V1ObjectMeta());
            }
        }

        return new Informer<V1ObjectMeta>(resource, pages, WatchAsync, Key, logger);
    }

    /// <summary>
    /// Metadata without kubectl's last-applied annotation (which holds a whole applied ConfigMap or Secret, data
    /// included) and without managedFields (often larger than the rest, and read by nothing here).
    /// </summary>
    internal static V1ObjectMeta? Slim(V1ObjectMeta? metadata)
    {
        if (metadata is null || (metadata.ManagedFields is null && metadata.Annotations?.ContainsKey(LastApplied) != true))
        {
            return metadata;
        }

        var annotations = metadata.Annotations?.Where(a => a.Key != LastApplied).ToDictionary(a => a.Key, a => a.Value, StringComparer.Ordinal);
        return metadata with { ManagedFields = null, Annotations = annotations is { Count: > 0 } ? annotations : null };
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
            var items = new List<T>();
            string? next = null;
            var rv = string.Empty;
            do
            {
                var body = (JsonElement)(ns is null
                    ? await client.CustomObjects.ListClusterCustomObjectAsync(group, version, plural, continueParameter: next, limit: PageSize, cancellationToken: ct).ConfigureAwait(false)
                    : await client.CustomObjects.ListNamespacedCustomObjectAsync(group, version, ns, plural, continueParameter: next, limit: PageSize, cancellationToken: ct).ConfigureAwait(false));
                if (body.TryGetProperty("items", out var array) && array.ValueKind == JsonValueKind.Array)
                {
                    items.AddRange(array.EnumerateArray().Select(Convert).OfType<T>());
                }

                var meta = body.TryGetProperty("metadata", out var m) && m.ValueKind == JsonValueKind.Object ? m : default;
                rv = meta.ValueKind == JsonValueKind.Object && meta.TryGetProperty("resourceVersion", out var v) ? v.GetString() ?? string.Empty : string.Empty;
                next = meta.ValueKind == JsonValueKind.Object && meta.TryGetProperty("continue", out var c) && c.GetString() is { Length: > 0 } token ? token : null;
            }
            while (next is not null);

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

    /// <summary>The arguments of a resource's list call, as a page of the list or as its watch.</summary>
    private readonly record struct MetadataQuery(
        IReadOnlyDictionary<string, IReadOnlyList<string>> Accept,
        string? Continue = null,
        int? Limit = null,
        string? ResourceVersion = null,
        bool? Watch = null,
        int? TimeoutSeconds = null);

    private static InformerHandle Wrap<T>(Informer<T> informer)
        where T : class => new(informer.RunAsync, () => informer.Synced, () => informer.NotServed);

    private sealed record InformerHandle(Func<TimeProvider, CancellationToken, Task> Run, Func<Task> SyncedTask, Func<string?> NotServed)
    {
        public Task Synced => SyncedTask();
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "{Plural} {Name}.{Namespace} cannot be read and is ignored until fixed (field {Path})")]
    private static partial void LogUnreadable(ILogger logger, string plural, string? name, string? @namespace, string? path, Exception error);
}
