using System.Text.Json.Nodes;
using Flagger.Model;
using Flagger.Routing;
using Microsoft.Extensions.DependencyInjection;
using Snapshooter.Xunit3;

namespace Flagger.Istio.Tests;

/// <summary>Session affinity on the VirtualService (<c>analysis.sessionAffinity</c>), against the embedded API server.</summary>
public sealed class IstioSessionAffinityTests(IstioCluster istio)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Canary_responses_set_the_canary_cookie_and_its_holders_are_routed_to_the_canary()
    {
        var canary = At(await istio.ApplyAsync(Affinity("affinity")), CanaryPhase.Progressing);
        using var services = istio.Services();
        var router = Router(services);
        await router.ReconcileAsync(canary, Ct);

        await router.SetRoutesAsync(canary, new TrafficRoutes(90, 10), Ct);

        var http = (await istio.GetAsync("virtualservices", "affinity", "podinfo"))!["spec"]!["http"]!.AsArray();
        Assert.Equal(3, http.Count);
        var setCookie = http[2]!["route"]![1]!["headers"]!["response"]!["add"]!["Set-Cookie"]!.GetValue<string>();
        Assert.Matches("^flagger-cookie=[a-zA-Z]{10}; Max-Age=86400; Secure$", setCookie);
        var cookie = setCookie[..setCookie.IndexOf(';', StringComparison.Ordinal)];
        Assert.Equal($".*flagger-cookie.*{cookie.Split('=')[1]}.*", http[0]!["match"]![0]!["headers"]!["Cookie"]!["regex"]!.GetValue<string>());
        Assert.Equal([0, 100], http[0]!["route"]!.AsArray().Select(r => r!["weight"]!.GetValue<int>()));
        Assert.Matches("^flagger-primary=[a-zA-Z]{10}; Max-Age=60; Secure$", http[2]!["route"]![0]!["headers"]!["response"]!["add"]!["Set-Cookie"]!.GetValue<string>());
        Assert.Equal([100, 0], http[1]!["route"]!.AsArray().Select(r => r!["weight"]!.GetValue<int>()));
        Assert.Equal(new TrafficRoutes(90, 10), await router.GetRoutesAsync(canary, Ct));

        // Promoted: holders of the canary cookie go to the primary, which expires the cookie.
        await router.SetRoutesAsync(At(canary, CanaryPhase.Finalising), TrafficRoutes.AllToPrimary, Ct);
        var after = (await istio.GetAsync("virtualservices", "affinity", "podinfo"))!["spec"]!["http"]!.AsArray();
        Assert.Equal(2, after.Count);
        Assert.Equal($"{cookie}; Max-Age=-1", after[0]!["headers"]!["response"]!["add"]!["Set-Cookie"]!.GetValue<string>());
        Assert.Equal([100, 0], after[0]!["route"]!.AsArray().Select(r => r!["weight"]!.GetValue<int>()));
        Assert.Equal(TrafficRoutes.AllToPrimary, await router.GetRoutesAsync(canary, Ct));
    }

    [Fact]
    public async Task The_cookies_kept_in_the_status_are_used_and_the_VirtualService_is_not_rewritten_while_they_hold()
    {
        var canary = await istio.ApplyAsync(Affinity("affinity-status"));
        canary = canary with { Status = new CanaryStatus { Phase = CanaryPhase.Progressing, SessionAffinityCookie = "flagger-cookie=abcdefghij", PrimarySessionAffinityCookie = "flagger-primary=klmnopqrst" } };
        using var services = istio.Services(o => o.UseWatchCache = false);
        var router = Router(services);
        await router.ReconcileAsync(canary, Ct);
        await router.SetRoutesAsync(canary, new TrafficRoutes(50, 50), Ct);
        var version = (await istio.GetAsync("virtualservices", "affinity-status", "podinfo"))!["metadata"]!["resourceVersion"]!.GetValue<string>();

        await router.ReconcileAsync(canary, Ct);

        Assert.Equal(version, (await istio.GetAsync("virtualservices", "affinity-status", "podinfo"))!["metadata"]!["resourceVersion"]!.GetValue<string>());
        Snapshot.Match(await istio.SnapshotAsync(canary));
    }

    private static Canary Affinity(string @namespace) => Canaries.Walkthrough(@namespace, c =>
        c.Analysis()["sessionAffinity"] = JsonNode.Parse("""{ "cookieName": "flagger-cookie", "primaryCookieName": "flagger-primary", "secure": true }"""));

    private static Canary At(Canary canary, CanaryPhase phase) => canary with { Status = new CanaryStatus { Phase = phase, LastAppliedSpec = "rev-1" } };

    private static IMeshRouter Router(ServiceProvider services) => services.GetRequiredKeyedService<IMeshRouter>("istio");
}
