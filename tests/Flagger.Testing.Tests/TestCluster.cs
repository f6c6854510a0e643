using k8s;
using k8s.Autorest;
using Microsoft.Extensions.Time.Testing;

namespace Flagger.Testing.Tests;

internal static class TestCluster
{
    public static Task<EmbeddedCluster> StartAsync(FakeTimeProvider? time = null, bool crds = true) =>
        EmbeddedCluster.StartAsync(new EmbeddedClusterOptions
        {
            TimeProvider = time ?? new FakeTimeProvider(new DateTimeOffset(2026, 1, 16, 14, 0, 0, TimeSpan.Zero)),
            InstallFlaggerCrds = crds,
            InstallIstioCrds = crds,
            FaultSeed = 42,
        }, TestContext.Current.CancellationToken);

    public static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static async Task<int> StatusOfAsync(Func<Task> call)
    {
        var e = await Assert.ThrowsAsync<HttpOperationException>(call);
        return (int)e.Response.StatusCode;
    }

    public static async Task<k8s.Models.V1Status> FailureAsync(Func<Task> call)
    {
        var e = await Assert.ThrowsAsync<HttpOperationException>(call);
        return KubernetesJson.Deserialize<k8s.Models.V1Status>(e.Response.Content);
    }
}
