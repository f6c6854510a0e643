namespace Flagger.Providers;

/// <summary>
/// Says what a failed port call reported, for the Warning event and the log: a provider package that knows its
/// client's exceptions (the Kubernetes API server's Status body behind an HTTP 422, say) registers one, so users read
/// the server's reason instead of a bare status code.
/// </summary>
public interface IFailureDescriber
{
    /// <summary>The reason <paramref name="exception"/> carries, bounded and without secrets; null to leave it to the next describer.</summary>
    /// <param name="exception">What a port call threw.</param>
    string? Describe(Exception exception);
}

/// <summary>Every registered <see cref="IFailureDescriber"/> in turn, then the exception's message.</summary>
internal sealed class FailureDescriber(IEnumerable<IFailureDescriber> describers)
{
    // Event messages are read on terminals and capped by the API server; a response body can be any size.
    private const int MaxDetail = 1024;

    private readonly IFailureDescriber[] describers = describers.ToArray();

    public string Describe(Exception exception)
    {
        foreach (var describer in describers)
        {
            if (describer.Describe(exception) is { Length: > 0 } detail)
            {
                return Cap(detail);
            }
        }

        return Cap(SecretText.Redact(exception.Message, []));
    }

    private static string Cap(string text) =>
        text.Length <= MaxDetail ? text : string.Concat(text.AsSpan(0, MaxDetail - 3), "...");
}
