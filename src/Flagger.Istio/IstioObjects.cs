using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Options;

namespace Flagger.Istio;

/// <summary>
/// Reads and writes Istio networking objects as custom objects of the configured API version, turning a
/// missing API into an error that says what to install, and retrying writes that lose a 409 Conflict race.
/// </summary>
internal sealed class IstioObjects(IKubernetes client, IOptions<IstioRouterOptions> options)
{
    public const string Group = "networking.istio.io";

    private IstioRouterOptions Options => options.Value;

    public string ApiVersion => Options.ApiVersion;

    /// <summary>The object, or null when it does not exist.</summary>
    public async Task<T?> GetAsync<T>(string plural, string @namespace, string name, CancellationToken cancellationToken)
        where T : class
    {
        try
        {
            return await client.CustomObjects.GetNamespacedCustomObjectAsync<T>(Group, Options.Version, @namespace, plural, name, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    public async Task CreateAsync<T>(T body, string plural, string @namespace, CancellationToken cancellationToken)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        try
        {
            await client.CustomObjects.CreateNamespacedCustomObjectAsync<T>(body, Group, Options.Version, @namespace, plural, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            throw new InvalidOperationException(
                $"{body.Kind} {body.Metadata.Name}.{@namespace} cannot be created: {Group}/{Options.Version} {plural} is not served ({e.Response.Content?.Trim()}); is Istio installed, and does the Istio ApiVersion option match its CRDs?",
                e);
        }
    }

    public Task ReplaceAsync<T>(T body, string plural, string @namespace, CancellationToken cancellationToken)
        where T : class, IKubernetesObject<V1ObjectMeta> =>
        client.CustomObjects.ReplaceNamespacedCustomObjectAsync<T>(body, Group, Options.Version, @namespace, plural, body.Metadata.Name, cancellationToken: cancellationToken);

    /// <summary>
    /// Runs a read-decide-write step, re-running it from the read when the write loses an optimistic-concurrency
    /// race (409 Conflict on replace, or AlreadyExists when someone else created the object first).
    /// </summary>
    public async Task RetryOnConflictAsync(Func<CancellationToken, Task> step, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await step(cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict && attempt < Options.ConflictRetries)
            {
                // Someone else wrote in between: read again and decide again.
            }
        }
    }
}
