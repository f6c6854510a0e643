namespace Flagger.Testing.Pods;

/// <summary>An HTTP request sent from inside a pod to a Service, after cluster DNS resolved its host.</summary>
/// <param name="SourceNamespace">The namespace of the pod that sent it.</param>
/// <param name="SourcePod">The name of the pod that sent it.</param>
/// <param name="Method">The HTTP method, e.g. <c>GET</c>.</param>
/// <param name="Host">The host as written in the URL, e.g. <c>podinfo-canary</c>.</param>
/// <param name="ServiceNamespace">The resolved Service's namespace.</param>
/// <param name="ServiceName">The resolved Service's name.</param>
/// <param name="Port">The port the request was sent to.</param>
/// <param name="PathAndQuery">The path and query, e.g. <c>/status/500</c>.</param>
public sealed record ClusterHttpRequest(
    string SourceNamespace,
    string SourcePod,
    string Method,
    string Host,
    string ServiceNamespace,
    string ServiceName,
    int Port,
    string PathAndQuery);

/// <summary>The answer to a <see cref="ClusterHttpRequest"/>: an HTTP response, or a failure to connect.</summary>
public sealed record ClusterHttpResponse
{
    /// <summary>The HTTP status code; 0 when the connection failed.</summary>
    public int StatusCode { get; init; }

    /// <summary>The response body.</summary>
    public string Body { get; init; } = "";

    /// <summary>The Content-Type header.</summary>
    public string ContentType { get; init; } = "application/json; charset=utf-8";

    /// <summary>Why the connection failed (e.g. no ready endpoints); null for an HTTP response.</summary>
    public string? ConnectionError { get; init; }

    /// <summary>An HTTP response.</summary>
    /// <param name="statusCode">The status code.</param>
    /// <param name="body">The body.</param>
    /// <returns>The response.</returns>
    public static ClusterHttpResponse Http(int statusCode, string body) => new() { StatusCode = statusCode, Body = body };

    /// <summary>A connection that could not be made (curl's exit code 7).</summary>
    /// <param name="reason">Why, e.g. <c>Connection refused</c>.</param>
    /// <returns>The failure.</returns>
    public static ClusterHttpResponse Refused(string reason = "Connection refused") => new() { ConnectionError = reason };
}

/// <summary>Answers a request (the rest of the pipeline, for a <see cref="ClusterHttpMiddleware"/>).</summary>
/// <param name="request">The request.</param>
/// <param name="cancellationToken">Cancelled when the caller gives up (Ctrl-C in the shell).</param>
/// <returns>The response.</returns>
public delegate Task<ClusterHttpResponse> ClusterHttpHandler(ClusterHttpRequest request, CancellationToken cancellationToken);

/// <summary>
/// A step of the pod network: inspect, count, delay, answer or pass the request on with <paramref name="next"/>.
/// </summary>
/// <param name="request">The request.</param>
/// <param name="next">The rest of the pipeline (later-attached steps run first; the workload's own answer runs last).</param>
/// <param name="cancellationToken">Cancelled when the caller gives up.</param>
/// <returns>The response.</returns>
public delegate Task<ClusterHttpResponse> ClusterHttpMiddleware(ClusterHttpRequest request, ClusterHttpHandler next, CancellationToken cancellationToken);
