using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using k8s;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Flagger.Kubernetes.Caches;

/// <summary>
/// Watch-fed caches of custom objects for router packages (VirtualServices, HTTPRoutes, …), kept by the same
/// informer as the operator's own caches: a hung watch is given up after its deadline and resumed, a 410 Gone
/// relists, failures back off. One informer per client, resource and namespace, shared by whoever asks for it;
/// each starts listing on its first read and stops when this object is disposed.
/// </summary>
public sealed class CustomObjectInformers : IDisposable, IAsyncDisposable
{
    private readonly ConcurrentDictionary<(IKubernetes Client, string Group, string Version, string Plural, string Namespace), CustomObjectInformer> informers = new();
    private readonly CancellationTokenSource stop = new();
    private readonly TimeProvider wallClock;
    private readonly ILogger logger;

    /// <summary>Creates the registry.</summary>
    /// <param name="wallClock">
    /// The real clock, for watch deadlines and backoff (not the engine's analysis clock, which tests run virtually).
    /// </param>
    /// <param name="loggerFactory">Where watch failures and hung watches are logged.</param>
    public CustomObjectInformers(TimeProvider wallClock, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(wallClock);
        this.wallClock = wallClock;
        logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<CustomObjectInformers>();
    }

    /// <summary>The informer of <paramref name="plural"/>.<paramref name="group"/>/<paramref name="version"/>, created on first request.</summary>
    /// <param name="client">The client of the cluster that holds the objects.</param>
    /// <param name="group">API group, e.g. <c>networking.istio.io</c>.</param>
    /// <param name="version">API version, e.g. <c>v1beta1</c>.</param>
    /// <param name="plural">Resource, e.g. <c>virtualservices</c>.</param>
    /// <param name="namespace">The one namespace to list and watch (a namespace-scoped Role); null or empty: all.</param>
    /// <returns>The shared informer.</returns>
    public CustomObjectInformer Get(IKubernetes client, string group, string version, string plural, string? @namespace)
    {
        ArgumentNullException.ThrowIfNull(client);
        ObjectDisposedException.ThrowIf(stop.IsCancellationRequested, this);
        var ns = string.IsNullOrEmpty(@namespace) ? null : @namespace;
        return informers.GetOrAdd(
            (client, group, version, plural, ns ?? string.Empty),
            _ => new CustomObjectInformer(
                ClusterCache.Custom(client, ns, group, version, plural, e => new CachedObject(e.Clone()), o => Key(o.Element), logger),
                ns,
                wallClock,
                stop.Token));
    }

    /// <summary>Stops every watch without waiting for it to end (a container disposed synchronously).</summary>
    public void Dispose()
    {
        if (!stop.IsCancellationRequested)
        {
            stop.Cancel();
        }
    }

    /// <summary>Stops every watch and waits for them to end.</summary>
    /// <returns>A task that completes when every informer has stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(informers.Values.Select(i => i.Stopped)).ConfigureAwait(false);
    }

    internal static ObjectKey Key(JsonElement item)
    {
        var metadata = item.TryGetProperty("metadata", out var m) && m.ValueKind == JsonValueKind.Object ? m : default;
        return new ObjectKey(Field(metadata, "namespace") ?? string.Empty, Field(metadata, "name") ?? string.Empty, Field(metadata, "resourceVersion"));
    }

    internal static string? Field(JsonElement metadata, string name) =>
        metadata.ValueKind == JsonValueKind.Object && metadata.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}

/// <summary>
/// The watch-fed copies of one custom resource. A read answers only once the first list has arrived, only for the
/// namespace it watches, and not for an object whose write lost a conflict until it is read live again: then the
/// caller reads from the server.
/// </summary>
public sealed class CustomObjectInformer
{
    private readonly Informer<CachedObject> informer;
    private readonly string? scope;
    private readonly TimeProvider wallClock;
    private readonly CancellationToken stopping;
    private readonly ConcurrentDictionary<(string Namespace, string Name), bool> stale = new();
    private readonly Lock gate = new();
    private Task? running;

    internal CustomObjectInformer(Informer<CachedObject> informer, string? scope, TimeProvider wallClock, CancellationToken stopping)
    {
        this.informer = informer;
        this.scope = scope;
        this.wallClock = wallClock;
        this.stopping = stopping;
    }

    /// <summary>The resource, as <c>plural.group</c>.</summary>
    public string Resource => informer.Resource;

    internal Task Stopped => running ?? Task.CompletedTask;

    /// <summary>How many deletions the informer remembers now (see <see cref="Informer{T}.DeletionMemory"/>).</summary>
    internal int RememberedDeletions => informer.RememberedDeletions;

    /// <summary>
    /// True when the cache can answer: <paramref name="item"/> is the object (a standalone copy that no one
    /// changes), or null when it does not exist. Starts the list and watch on first use.
    /// </summary>
    /// <param name="namespace">The object's namespace.</param>
    /// <param name="name">The object's name.</param>
    /// <param name="item">The object, or null when it does not exist.</param>
    /// <returns>
    /// False before the first list, for an object forgotten after a conflict and for a namespace this informer does
    /// not watch: read it live.
    /// </returns>
    public bool TryGet(string @namespace, string name, out JsonElement? item)
    {
        EnsureStarted();
        item = null;
        if (!informer.Synced.IsCompleted || !Watches(@namespace) || stale.ContainsKey((@namespace, name)))
        {
            return false;
        }

        item = informer.Get(@namespace, name)?.Element;
        return true;
    }

    /// <summary>
    /// Keeps what the server answered to a live read or a write, unless the cache already holds something newer or the
    /// watch has since delivered the object's deletion.
    /// </summary>
    /// <param name="item">The object as the server returned it.</param>
    public void Remember(JsonElement item)
    {
        var listed = informer.Synced.IsCompleted;
        var (ns, name, _) = CustomObjectInformers.Key(item);
        if (!Watches(ns))
        {
            // No watch event would ever update or remove it: TryGet never answers for it either.
            return;
        }

        if (!listed)
        {
            // The first list may have been served before this answer and would be read back older: once it has been
            // applied, the object is read live once more. Nothing is kept meanwhile, since nothing answers from it
            // (an informer that may not list never does, and its copies would pile up, deleted objects among them).
            stale[(ns, name)] = true;
            return;
        }

        // The informer refuses an answer read before a deletion its watch has delivered since.
        informer.Upsert(new CachedObject(item.Clone()));
        stale.TryRemove((ns, name), out _);
    }

    /// <summary>Distrusts the copy of one object until it is read live again (after a 409 Conflict or a 404 on write).</summary>
    /// <param name="namespace">The object's namespace.</param>
    /// <param name="name">The object's name.</param>
    public void Forget(string @namespace, string name) => stale[(@namespace, name)] = true;

    private bool Watches(string @namespace) => scope is null || string.Equals(scope, @namespace, StringComparison.Ordinal);

    private void EnsureStarted()
    {
        if (running is not null)
        {
            return;
        }

        lock (gate)
        {
            if (running is null && !stopping.IsCancellationRequested)
            {
                running = Task.Run(() => informer.RunAsync(wallClock, stopping), CancellationToken.None);
            }
        }
    }
}

/// <summary>One cached custom object: a JsonElement that owns its memory.</summary>
internal sealed class CachedObject(JsonElement element)
{
    public JsonElement Element { get; } = element;
}

/// <summary>Registers <see cref="CustomObjectInformers"/>.</summary>
public static class CustomObjectInformersServiceCollectionExtensions
{
    /// <summary>
    /// Registers one <see cref="CustomObjectInformers"/> for router packages that cache their objects, backing off on
    /// <see cref="KubernetesOptions.CacheClock"/> like the package's own caches (the system clock unless set). Calling
    /// it twice is harmless; a registration made before it wins.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <returns>The service collection.</returns>
    public static IServiceCollection AddCustomObjectInformers(this IServiceCollection services)
    {
        services.TryAddSingleton(sp => new CustomObjectInformers(
            sp.GetService<IOptions<KubernetesOptions>>()?.Value.CacheClock ?? TimeProvider.System,
            sp.GetService<ILoggerFactory>()));
        return services;
    }
}
