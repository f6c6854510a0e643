namespace Flagger.Testing.Receivers;

/// <summary>How a <see cref="RecordingReceiver"/> answers a request.</summary>
/// <param name="Status">The HTTP status.</param>
/// <param name="Body">The body.</param>
public sealed record ReceiverAnswer(int Status, string Body = "")
{
    /// <summary>200 with an empty body: the default answer.</summary>
    public static ReceiverAnswer Ok { get; } = new(200);

    /// <summary>Never answers: the request is held until the caller gives up.</summary>
    public static ReceiverAnswer Never { get; } = new(200) { Hang = true };

    /// <summary>Wall-clock time to wait before answering.</summary>
    public TimeSpan Delay { get; init; }

    /// <summary>True to hold the request until the caller gives up (see <see cref="Never"/>).</summary>
    public bool Hang { get; init; }

    /// <summary>
    /// True to follow <see cref="Body"/> with the request line, its Authorization header and its body, as some
    /// error pages and proxies do: what the caller does with an error answer must not pass such an echo on.
    /// </summary>
    public bool EchoRequest { get; init; }

    /// <summary>When positive, the status goes out at once and the body a character at a time at this interval.</summary>
    public TimeSpan TrickleInterval { get; init; }
}
