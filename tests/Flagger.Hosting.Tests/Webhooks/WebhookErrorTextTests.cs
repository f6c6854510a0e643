using Flagger.Model;

namespace Flagger.Hosting.Webhooks;

public sealed class WebhookErrorTextTests
{
    private static readonly CanaryWebhook Hook = new()
    {
        Name = "gate",
        Url = "http://user:hunter22@gate.test/approve?token=s3cr3t-query&team=web",
        Metadata = new Dictionary<string, string> { ["authorization"] = "Bearer abc.def.ghi", ["cmd"] = "hey -z 1m http://podinfo-canary.test/" },
    };

    [Fact]
    public void Echoed_metadata_credentials_and_url_secrets_are_redacted()
    {
        var text = WebhookErrorText.Clean(
            "denied: got Authorization Bearer abc.def.ghi from http://user:hunter22@gate.test/approve?token=s3cr3t-query for hey -z 1m http://podinfo-canary.test/",
            Hook);

        Assert.DoesNotContain("abc.def.ghi", text, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter22", text, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cr3t-query", text, StringComparison.Ordinal);

        // What is not a credential stays, so the message still says what went wrong.
        Assert.StartsWith("denied: got Authorization", text, StringComparison.Ordinal);
        Assert.Contains("hey -z 1m http://podinfo-canary.test/", text, StringComparison.Ordinal);
        Assert.Contains(WebhookErrorText.Redacted, text, StringComparison.Ordinal);
    }

    [Fact]
    public void Query_values_of_any_url_in_the_answer_are_redacted()
    {
        var text = WebhookErrorText.Clean("redirected to https://login.test/cb?code=xyz123&state=q", new CanaryWebhook { Name = "g", Url = "http://gate.test/" });

        Assert.Equal("redirected to https://login.test/cb?code=[redacted]&state=[redacted]", text);
    }

    [Fact]
    public void Long_answers_are_cut_and_say_so()
    {
        var text = WebhookErrorText.Clean(new string('x', 100_000), new CanaryWebhook { Name = "g" });

        Assert.Equal(WebhookErrorText.MaxLength + WebhookErrorText.CutMark.Length, text.Length);
        Assert.EndsWith(WebhookErrorText.CutMark, text, StringComparison.Ordinal);
    }

    [Fact]
    public void Invalid_addresses_are_named_without_their_secrets() =>
        Assert.Equal("ht tp://[redacted]@x?key=[redacted]", WebhookErrorText.Address("ht tp://me:pw@x?key=value"));
}
