using System.Net;
using Flagger.Analysis;
using Flagger.Istio;
using Flagger.Kubernetes;
using k8s;
using k8s.Autorest;
using Microsoft.Extensions.Options;

namespace Flagger.Operator;

/// <summary>
/// Before any watch starts, lists each custom resource the operator needs (as Flagger does at start-up), so a
/// cluster without the CRDs gets one message naming every missing one and the command that installs them, instead
/// of a watch failing later. Transient API errors are retried for about 15 s before they stop the start; the
/// resources are listed at once, each list given <see cref="AttemptTimeout"/>, so a start pays for one round trip,
/// not five, and a request the API server never answers costs seconds, not the client's whole timeout.
/// </summary>
internal sealed class CrdCheck(
    IKubernetes client,
    IOptions<EngineOptions> engine,
    IOptions<KubernetesOptions> kubernetes,
    IOptions<IstioRouterOptions> istio,
    TimeProvider time)
{
    /// <summary>
    /// Waits between attempts when the API server answers with a transient error (5xx, 429, no connection): an
    /// operator started with its cluster, or during a control-plane upgrade, should wait it out rather than exit.
    /// About 15 s in all, then the last error is reported.
    /// </summary>
    internal static readonly TimeSpan[] RetryDelays = [.. new[] { 0.5, 1, 2, 4, 8 }.Select(TimeSpan.FromSeconds)];

    /// <summary>
    /// How long one attempt's lists may take. Each asks for one object; an API server that has not answered in this
    /// long is not going to soon (a lost connection, an overloaded server), and the next attempt gets a fresh request.
    /// </summary>
    internal static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(5);

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                using var deadline = new CancellationTokenSource(AttemptTimeout, time);
                using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
                await CheckAsync(bounded.Token).ConfigureAwait(false);
                return;
            }
            catch (Exception e) when (attempt < RetryDelays.Length && IsTransient(e, cancellationToken))
            {
                await Task.Delay(RetryDelays[attempt], time, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (IsTransient(e, cancellationToken))
            {
                throw new StartupCheckException($"cannot reach the Kubernetes API server at {client.BaseUri}: {e.Message}; check --kubeconfig or the in-cluster service account", e);
            }
        }
    }

    private static bool IsTransient(Exception e, CancellationToken cancellationToken) => e switch
    {
        HttpRequestException => true,
        HttpOperationException { Response.StatusCode: HttpStatusCode.TooManyRequests or >= HttpStatusCode.InternalServerError } => true,

        // A conflict is no answer to a read: it says nothing about the CRDs, so it is asked again rather than ending the start.
        HttpOperationException { Response.StatusCode: HttpStatusCode.Conflict } => true,
        OperationCanceledException => !cancellationToken.IsCancellationRequested, // the client's timeout or the attempt's
        _ => false,
    };

    private async Task CheckAsync(CancellationToken cancellationToken)
    {
        var required = Required().ToList();
        var answers = await Task.WhenAll(required.Select(r => AnswerAsync(r.Group, r.Version, r.Plural, cancellationToken))).ConfigureAwait(false);
        var missing = required.Zip(answers).Where(a => a.Second == HttpStatusCode.NotFound).Select(a => $"{a.First.Plural}.{a.First.Group}/{a.First.Version}").ToList();
        var forbidden = required.Zip(answers).Where(a => a.Second is HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized).Select(a => $"{a.First.Plural}.{a.First.Group}").ToList();

        var problems = new List<string>();
        if (missing.Count > 0)
        {
            problems.Add($"the API server does not serve {string.Join(", ", missing)}: the CRDs are not installed; install them with: kubectl apply -f deploy/crds");
        }

        if (forbidden.Count > 0)
        {
            problems.Add($"the service account may not list {string.Join(", ", forbidden)}: grant get, list and watch on them (see deploy/ RBAC)");
        }

        if (problems.Count > 0)
        {
            throw new StartupCheckException(string.Join(Environment.NewLine, problems));
        }
    }

    private IEnumerable<(string Group, string Version, string Plural)> Required()
    {
        yield return ("flagger.app", "v1beta1", "canaries");
        yield return ("flagger.app", "v1beta1", "metrictemplates");
        yield return ("flagger.app", "v1beta1", "alertproviders");
        if (engine.Value.MeshProvider.StartsWith("istio", StringComparison.Ordinal))
        {
            var version = istio.Value.ApiVersion[(istio.Value.ApiVersion.IndexOf('/', StringComparison.Ordinal) + 1)..];
            yield return ("networking.istio.io", version, "virtualservices");
            yield return ("networking.istio.io", version, "destinationrules");
        }
    }

    // OK, or the definite answer (not found, forbidden) that the check reports; any other failure is thrown.
    private async Task<HttpStatusCode> AnswerAsync(string group, string version, string plural, CancellationToken cancellationToken)
    {
        try
        {
            await ListOneAsync(group, version, plural, cancellationToken).ConfigureAwait(false);
            return HttpStatusCode.OK;
        }
        catch (HttpOperationException e) when (e.Response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized)
        {
            return e.Response.StatusCode;
        }
    }

    // In the watched namespace when -namespace is set, so a namespaced Role is enough, as in Flagger.
    private Task<object> ListOneAsync(string group, string version, string plural, CancellationToken cancellationToken) =>
        kubernetes.Value.Namespace is { Length: > 0 } ns
            ? client.CustomObjects.ListNamespacedCustomObjectAsync(group, version, ns, plural, limit: 1, cancellationToken: cancellationToken)
            : client.CustomObjects.ListClusterCustomObjectAsync(group, version, plural, limit: 1, cancellationToken: cancellationToken);
}

/// <summary>The cluster is not ready for the operator; the message says what is missing and how to fix it.</summary>
public sealed class StartupCheckException : Exception
{
    /// <summary>Creates the error.</summary>
    public StartupCheckException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the error with its cause.</summary>
    public StartupCheckException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates an empty error.</summary>
    public StartupCheckException()
    {
    }
}
