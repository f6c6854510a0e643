using Flagger.Metrics;
using Flagger.Testing.Receivers;

namespace Flagger.Prometheus.Tests;

/// <summary>What a server that is not Prometheus answers never carries the credentials the provider sent it.</summary>
public sealed class PrometheusRedactionTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("<html>Welcome back, Bearer tok-0123456789 (X-Scope-OrgID: tenant-secret-1)</html>")]
    [InlineData("""{"status":"success","echo":"tok-0123456789 tenant-secret-1"}""")]
    public async Task An_unparsable_200_answer_echoing_the_credentials_is_quoted_redacted(string answer)
    {
        await using var server = await RecordingReceiver.StartAsync(Ct);
        server.Answer(new ReceiverAnswer(200, answer));
        using var services = Prometheus.Services();
        var credentials = new Dictionary<string, string> { ["token"] = "tok-0123456789" };
        var headers = new Dictionary<string, IReadOnlyList<string>> { ["X-Scope-OrgID"] = ["tenant-secret-1"] };

        var result = await services.Provider(new Uri(server.Address), credentials, headers).RunQueryAsync("vector(1)", Ct);

        Assert.Equal(MetricQueryOutcome.Failed, result.Outcome);
        Assert.StartsWith("error unmarshaling result: ", result.Error, StringComparison.Ordinal);
        Assert.Contains("[redacted]", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("tok-0123456789", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("tenant-secret-1", result.Error, StringComparison.Ordinal);
    }
}
