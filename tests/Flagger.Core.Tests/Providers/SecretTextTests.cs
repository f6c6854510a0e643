namespace Flagger.Providers;

public sealed class SecretTextTests
{
    [Theory]
    [InlineData("http://prometheus:9090/", "http://prometheus:9090/")]
    [InlineData("http://user:pass@prometheus:9090/path", "http://[redacted]@prometheus:9090/path")]
    [InlineData("https://hooks.test/x?token=abc&team=1#top", "https://hooks.test/x?token=[redacted]&team=[redacted]#top")]
    [InlineData("user:pw@hooks.local/x?flag", "[redacted]@hooks.local/x?flag")]
    [InlineData("http://hooks.test/a@b", "http://hooks.test/a@b")]
    [InlineData("", "")]
    [InlineData(null, "")]
    public void Address_hides_user_info_and_query_values(string? address, string shown) =>
        Assert.Equal(shown, SecretText.Address(address));

    [Fact]
    public void Redact_replaces_each_secret_in_every_form_and_hides_credentials_of_urls_in_the_text()
    {
        var text = "denied for s3cr3t/tok, s3cr3t%2Ftok and the key abcd; see https://me:pw@login.test/cb?code=9 or ab";

        var clean = SecretText.Redact(text, ["s3cr3t/tok", "abcd", "ab", null]);

        Assert.Equal("denied for [redacted], [redacted] and the key [redacted]; see https://[redacted]@login.test/cb?code=[redacted] or ab", clean);
    }

    [Fact]
    public void Secrets_of_an_address_are_its_user_info_query_values_and_optionally_its_path()
    {
        const string Address = "https://bot:pa55word@chat.test/services/T0/B0/XYZW?sig=abcdef";

        Assert.Equal(["bot:pa55word", "bot", "pa55word", "abcdef"], SecretText.SecretsOf(Address));
        Assert.Equal(["bot:pa55word", "bot", "pa55word", "abcdef", "/services/T0/B0/XYZW", "services", "T0", "B0", "XYZW"], SecretText.SecretsOf(Address, includePath: true));
        Assert.Empty(SecretText.SecretsOf("not a url"));
    }
}
