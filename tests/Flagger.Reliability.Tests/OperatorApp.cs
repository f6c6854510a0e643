using Flagger.Model;
using Flagger.Store;
using Microsoft.AspNetCore.Builder;

namespace Flagger.Tests.Operator;

/// <summary>
/// What the tests that run the operator host itself on the wall clock ask of it (the reliability tests, and the
/// acceptance tests through a linked copy): its address and health, and its own canary cache polled until a canary
/// gets where the test waits for it.
/// </summary>
internal static class OperatorApp
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>The host's loopback address (it listens on every interface, on a free port).</summary>
    public static Uri Address(WebApplication app) =>
        new(app.Urls.First().Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal).Replace("[::]", "127.0.0.1", StringComparison.Ordinal));

    /// <summary>The operator's <c>/healthz</c> answer.</summary>
    public static async Task<string> HealthAsync(WebApplication app)
    {
        using var http = new HttpClient();
        return await http.GetStringAsync(new Uri(Address(app), "/healthz"), Ct);
    }

    /// <summary>Waits until canary <paramref name="name"/> in <c>test</c> is in <paramref name="phase"/>.</summary>
    public static Task<CanaryStatus> WaitForPhaseAsync(ICanaryStore store, string name, CanaryPhase phase) =>
        WaitForStatusAsync(store, name, s => s.Phase == phase, $"phase {phase}");

    /// <summary>
    /// Waits until the status of canary <paramref name="name"/> in <c>test</c> satisfies <paramref name="reached"/>,
    /// for a minute at most; then fails saying what was awaited and the status last seen.
    /// </summary>
    public static async Task<CanaryStatus> WaitForStatusAsync(ICanaryStore store, string name, Func<CanaryStatus, bool> reached, string what)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        deadline.CancelAfter(Patience);
        CanaryStatus? status = null;
        try
        {
            while (status is null || !reached(status))
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100), deadline.Token);
                status = (await store.GetCanaryAsync("test", name, deadline.Token))?.Status;
            }

            return status;
        }
        catch (OperationCanceledException) when (!Ct.IsCancellationRequested)
        {
            Assert.Fail($"{name} did not reach {what} within {Patience.TotalSeconds}s; status {FlaggerJson.Serialize(status ?? new CanaryStatus())}");
            throw;
        }
    }
}
