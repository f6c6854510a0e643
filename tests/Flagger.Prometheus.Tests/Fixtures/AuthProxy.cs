using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Flagger.Prometheus.Tests.Fixtures;

/// <summary>
/// Prometheus behind authentication, as a hosted Prometheus is: a loopback reverse proxy that accepts a bearer
/// token or basic credentials, records what it was sent, and has a <c>/slow</c> prefix that never answers in time.
/// </summary>
public sealed class AuthProxy : IAsyncDisposable
{
    public const string Token = "s3cret-token";
    public const string User = "flagger";
    public const string Password = "hunter2";

    private readonly WebApplication app;
    private readonly HttpClient upstream;

    private AuthProxy(WebApplication app, HttpClient upstream)
    {
        this.app = app;
        this.upstream = upstream;
    }

    public Uri Address { get; private set; } = null!;

    /// <summary>Every request seen: the decoded query and the headers.</summary>
    public ConcurrentQueue<(string? Query, IHeaderDictionary Headers)> Requests { get; } = new();

    public static async Task<AuthProxy> StartAsync(Uri prometheus, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var proxy = new AuthProxy(app, new HttpClient { BaseAddress = prometheus });
        app.Run(proxy.HandleAsync);
        await app.StartAsync(cancellationToken);
        proxy.Address = IstioExporter.LoopbackAddress(app);
        return proxy;
    }

    public async ValueTask DisposeAsync()
    {
        await app.DisposeAsync();
        upstream.Dispose();
    }

    private async Task HandleAsync(HttpContext context)
    {
        Requests.Enqueue((context.Request.Query["query"].ToString(), new HeaderDictionary(context.Request.Headers.ToDictionary(h => h.Key, h => h.Value))));
        if (context.Request.Path.StartsWithSegments("/slow", out var rest))
        {
            await Task.Delay(TimeSpan.FromSeconds(30), context.RequestAborted);
            context.Request.Path = rest;
        }

        var authorization = context.Request.Headers.Authorization.ToString();
        var basic = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{User}:{Password}"));
        if (authorization != $"Bearer {Token}" && authorization != $"Basic {basic}")
        {
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            await context.Response.WriteAsync("missing or wrong credentials", context.RequestAborted);
            return;
        }

        using var response = await upstream.GetAsync(context.Request.Path + context.Request.QueryString, context.RequestAborted);
        context.Response.StatusCode = (int)response.StatusCode;
        context.Response.ContentType = response.Content.Headers.ContentType?.ToString();
        await response.Content.CopyToAsync(context.Response.Body, context.RequestAborted);
    }
}
