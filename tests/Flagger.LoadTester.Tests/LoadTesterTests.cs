using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Flagger.LoadTester;

/// <summary>The load tester over real HTTP, running real commands.</summary>
public sealed class LoadTesterTests : IAsyncLifetime
{
    private readonly HttpClient http = new();
    private WebApplication app = null!;

    private LoadTester Tester => app.Services.GetRequiredService<LoadTester>();

    public async ValueTask InitializeAsync()
    {
        app = LoadTesterHost.Build(["--urls", "http://127.0.0.1:0"]);
        await app.StartAsync(TestContext.Current.CancellationToken);
        http.BaseAddress = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
    }

    public async ValueTask DisposeAsync()
    {
        http.Dispose();
        await app.StopAsync(CancellationToken.None);
        await app.DisposeAsync();
    }

    private Task<HttpResponseMessage> PostAsync(string path, Dictionary<string, string>? metadata = null) =>
        http.PostAsJsonAsync(path, new { name = "podinfo", @namespace = "test", phase = "Progressing", metadata }, TestContext.Current.CancellationToken);

    [Fact]
    public async Task Bash_command_blocks_and_reports_its_failure()
    {
        var ok = await PostAsync("/", new() { ["type"] = "bash", ["cmd"] = "echo ready" });
        var failed = await PostAsync("/", new() { ["type"] = "bash", ["cmd"] = "echo broken >&2; exit 3" });

        Assert.Equal((HttpStatusCode.OK, "ready\n"), (ok.StatusCode, await ok.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)));
        Assert.Equal(HttpStatusCode.BadRequest, failed.StatusCode);
        Assert.Contains("broken", await failed.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Background_command_runs_once_while_it_is_running()
    {
        var first = await PostAsync("/", new() { ["cmd"] = "sleep 2" });
        var second = await PostAsync("/", new() { ["cmd"] = "sleep 2" });

        Assert.Equal("command sleep 2 started", await first.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal("command sleep 2 already running", await second.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Single(Tester.Started);
    }

    [Fact]
    public async Task Missing_cmd_is_a_bad_request()
    {
        var response = await PostAsync("/", new() { ["type"] = "bash" });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Gates_are_closed_until_opened_per_canary()
    {
        Assert.Equal(HttpStatusCode.Forbidden, (await PostAsync("/gate/check")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await PostAsync("/gate/open")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await PostAsync("/gate/check")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await PostAsync("/gate/close")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await PostAsync("/gate/check")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await PostAsync("/gate/approve")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await PostAsync("/gate/halt")).StatusCode);
    }

    [Fact]
    public async Task Rollback_is_signalled_only_once_opened()
    {
        Assert.Equal(HttpStatusCode.Forbidden, (await PostAsync("/rollback/check")).StatusCode);
        await PostAsync("/rollback/open");
        Assert.Equal(HttpStatusCode.OK, (await PostAsync("/rollback/check")).StatusCode);
    }

    [Fact]
    public async Task Runs_hey_against_a_real_target()
    {
        Assert.True(File.Exists("/usr/bin/hey"), "hey not found: apt-get install hey (the walkthrough's load generator)");
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        await using var target = builder.Build();
        var hits = 0;
        target.Run(context =>
        {
            Interlocked.Increment(ref hits);
            return context.Response.WriteAsync("ok", context.RequestAborted);
        });
        await target.StartAsync(TestContext.Current.CancellationToken);
        var url = target.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

        var response = await PostAsync("/", new() { ["type"] = "bash", ["cmd"] = $"hey -n 5 -c 1 {url}/" });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(5, hits);
        await target.StopAsync(CancellationToken.None);
    }
}
