using System.Net;
using Flagger.Testing.Pods;
using Flagger.Testing.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Flagger.Testing.Api;

/// <summary>Kestrel on loopback, dispatching every request to discovery, OpenAPI or a resource endpoint.</summary>
internal sealed class ApiServer : IAsyncDisposable
{
    private readonly ObjectStore _store;
    private readonly FaultInjector _faults;
    private readonly RequestCounters _counters;
    private readonly ResourceEndpoint _resources;
    private readonly WatchEndpoint _watches;
    private readonly PodEndpoints _pods;
    private readonly CancellationTokenSource _stopping = new();
    private WebApplication? _app;

    public ApiServer(ObjectStore store, FaultInjector faults, RequestCounters counters, TimeSpan bookmarkInterval, PodLogs logs, PodNetwork network)
    {
        _store = store;
        _faults = faults;
        _counters = counters;
        _resources = new ResourceEndpoint(store);
        _watches = new WatchEndpoint(store, bookmarkInterval);
        _pods = new PodEndpoints(store, logs, network);
    }

    public Uri BaseAddress { get; private set; } = new("http://127.0.0.1/");

    public async Task StartAsync(int port, CancellationToken ct)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        // Isolated from the host process: its appsettings/ASPNETCORE_* (Kestrel endpoints, URLs) must not leak in.
        builder.Configuration.Sources.Clear();
        builder.Logging.ClearProviders();
        // Hung requests (fault injection) end with the server; nothing should hold up a test's dispose.
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(2));
        // The default console lifetime would take over Ctrl-C and SIGTERM of the whole process.
        builder.Services.AddSingleton<IHostLifetime, PassiveLifetime>();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, port));
        var app = builder.Build();
        // kubectl exec speaks the WebSocket remote-command protocol.
        app.UseWebSockets();
        app.Run(HandleAsync);
        await app.StartAsync(ct).ConfigureAwait(false);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        BaseAddress = new Uri(address.Replace("[::1]", "127.0.0.1", StringComparison.Ordinal).TrimEnd('/') + "/");
        _app = app;
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _stopping.CancelAsync().ConfigureAwait(false);
            _store.DropWatches();
            await _app.StopAsync(CancellationToken.None).ConfigureAwait(false);
            await _app.DisposeAsync().ConfigureAwait(false);
        }

        _stopping.Dispose();
    }

    private async Task HandleAsync(HttpContext context)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, _stopping.Token);
        var ct = linked.Token;
        var requestPath = context.Request.Path.Value ?? "/";
        var path = RequestPath.Parse(requestPath);
        var info = path is null
            ? new ApiRequestInfo("discovery", "", "", "", null, null, null)
            : new ApiRequestInfo(Verb(context, path), path.Group, path.Version, path.Resource, path.Namespace, path.Name, path.Subresource)
            {
                UserAgent = context.Request.Headers.UserAgent.ToString() is { Length: > 0 } agent ? agent : null,
                Accept = context.Request.Headers.Accept.ToString() is { Length: > 0 } accept ? accept : null,
            };
        try
        {
            QueryFlags.Validate(context.Request.Query);
            if (path is not null)
            {
                _counters.Record(info);
                var (latency, failWith, hang) = _faults.Decide(info);
                if (latency > TimeSpan.Zero)
                {
                    await Task.Delay(latency, TimeProvider.System, ct).ConfigureAwait(false);
                }

                if (hang)
                {
                    await Task.Delay(Timeout.InfiniteTimeSpan, TimeProvider.System, ct).ConfigureAwait(false);
                }

                if (failWith != 0)
                {
                    throw new ApiException(failWith, Reason(failWith), $"injected fault: {failWith}");
                }

                var type = _store.Registry.Find(path.Group, path.Version, path.Resource) ?? throw ApiException.NotFoundPath();
                if (PodEndpoints.Serves(path))
                {
                    await _pods.HandleAsync(context, path, type, ct).ConfigureAwait(false);
                }
                else if (info.Verb == "watch")
                {
                    await _watches.HandleAsync(context, path, type, _faults.Garbles(info), ct).ConfigureAwait(false);
                }
                else
                {
                    await _resources.HandleAsync(context, path, type, info.Verb, ct).ConfigureAwait(false);
                }

                return;
            }

            await NonResourceAsync(context, requestPath, ct).ConfigureAwait(false);
        }
        catch (ApiException e) when (!context.Response.HasStarted)
        {
            if (e.Code == 429)
            {
                context.Response.Headers.RetryAfter = "1";
            }

            await HttpJson.WriteStatusAsync(context, e, ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The client went away.
        }
    }

    private async Task NonResourceAsync(HttpContext context, string path, CancellationToken ct)
    {
        var registry = _store.Registry;
        var trimmed = path.TrimEnd('/');
        var document = trimmed switch
        {
            "/version" => Discovery.Version(),
            "/api" => Discovery.CoreVersions($"{BaseAddress.Host}:{BaseAddress.Port}"),
            "/apis" => Discovery.Groups(registry),
            "/openapi/v3" => OpenApiDocuments.Index(registry),
            "/healthz" or "/readyz" or "/livez" => null,
            _ when trimmed.StartsWith("/openapi/v3/", StringComparison.Ordinal) => OpenApiDocuments.Document(registry, trimmed["/openapi/v3/".Length..]),
            _ when trimmed.StartsWith("/api/", StringComparison.Ordinal) && trimmed.Count(c => c == '/') == 2 =>
                Discovery.Resources(registry, "", trimmed["/api/".Length..]),
            _ when trimmed.StartsWith("/apis/", StringComparison.Ordinal) && trimmed.Count(c => c == '/') == 2 =>
                Discovery.Group(registry, trimmed["/apis/".Length..]),
            _ when trimmed.StartsWith("/apis/", StringComparison.Ordinal) && trimmed.Count(c => c == '/') == 3 =>
                Discovery.Resources(registry, trimmed.Split('/')[2], trimmed.Split('/')[3]),
            _ => null,
        };
        if (document is null)
        {
            if (trimmed is "/healthz" or "/readyz" or "/livez")
            {
                context.Response.ContentType = "text/plain";
                await context.Response.WriteAsync("ok", ct).ConfigureAwait(false);
                return;
            }

            throw ApiException.NotFoundPath();
        }

        await HttpJson.WriteAsync(context, 200, document, ct).ConfigureAwait(false);
    }

    private static string Verb(HttpContext context, RequestPath path)
    {
        // An unparsable value is answered with a 400 by QueryFlags.Validate before the verb is acted on.
        var watch = path.LegacyWatch || QueryFlags.Parse(context.Request.Query["watch"].ToString()) == true;
        return context.Request.Method switch
        {
            "GET" when watch => "watch",
            "GET" when path.Name is null => "list",
            "GET" => "get",
            "POST" => "create",
            "PUT" => "update",
            "PATCH" => "patch",
            "DELETE" when path.Name is null => "deletecollection",
            "DELETE" => "delete",
            _ => context.Request.Method.ToLowerInvariant(),
        };
    }

    private static string Reason(int code) => code switch
    {
        409 => "Conflict",
        429 => "TooManyRequests",
        500 => "InternalError",
        503 => "ServiceUnavailable",
        504 => "Timeout",
        _ => "Unknown",
    };
}

/// <summary>A host lifetime that leaves the process's signals to the process: the cluster stops when disposed.</summary>
internal sealed class PassiveLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
