using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Flagger.Providers;

namespace Flagger.Notifications;

/// <summary>
/// Posts chat payloads. One long-lived client per proxy address, so connections are pooled and DNS changes are
/// still seen (the handler recycles its connections), for the first <see cref="MaxClients"/> proxy addresses: the
/// addresses come from AlertProviders, so their number is the cluster's to choose, and a client per address kept
/// forever would grow without end. Past that, a post gets a client of its own, disposed after it.
/// </summary>
internal sealed class ChatPoster : IDisposable
{
    /// <summary>Chat services get 5 seconds, as in Flagger: an alert must never hold up a tick for long.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    /// <summary>Proxy addresses that keep a pooled client; a cluster has a handful.</summary>
    public const int MaxClients = 32;

    private readonly ConcurrentDictionary<string, HttpClient> clients = new(StringComparer.Ordinal);

    /// <summary>How many pooled clients there are; at most <see cref="MaxClients"/>.</summary>
    internal int PooledClients => clients.Count;

    public async Task PostAsync(Uri address, JsonNode body, string? proxy, string? token, CancellationToken cancellationToken)
    {
        var key = proxy ?? string.Empty;
        if (clients.TryGetValue(key, out var pooled) || (clients.Count < MaxClients && clients.TryAdd(key, pooled = CreateClient(key))))
        {
            await PostAsync(pooled, address, body, proxy, token, cancellationToken).ConfigureAwait(false);
            return;
        }

        // A racing TryAdd for the same address lost: that client was never shared and goes with this post.
        using var own = pooled ?? CreateClient(key);
        await PostAsync(own, address, body, proxy, token, cancellationToken).ConfigureAwait(false);
    }

    private static async Task PostAsync(HttpClient client, Uri address, JsonNode body, string? proxy, string? token, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, address)
        {
            Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        if (!string.IsNullOrEmpty(token))
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Timeout);
        HttpResponseMessage response;
        try
        {
            response = await client.SendAsync(request, timeout.Token).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            // A proxy's failure names the proxy's address, user info and all.
            throw new HttpRequestException(Redact(e.Message, address, proxy, token), null, e.StatusCode);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw TimedOut(address);
        }

        using (response)
        {
            if (!response.IsSuccessStatusCode)
            {
                string text;
                try
                {
                    text = await response.Content.ReadAsStringAsync(timeout.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    throw TimedOut(address);
                }

                // The address holds the webhook secret: name only the host, and keep no echo of the request.
                throw new HttpRequestException(
                    $"posting to {address.Host} failed with status {(int)response.StatusCode}: {Truncate(Redact(text, address, proxy, token))}",
                    null,
                    response.StatusCode);
            }
        }
    }

    // A chat service that does not answer in time is a failed post, not a cancellation: the caller's own token was
    // not cancelled, and a cancellation escaping here would end the tick that sent the alert.
    private static TimeoutException TimedOut(Uri address) =>
        new(string.Create(CultureInfo.InvariantCulture, $"posting to {address.Host} timed out after {Timeout.TotalSeconds}s"));

    public void Dispose()
    {
        foreach (var client in clients.Values)
        {
            client.Dispose();
        }
    }

    private static HttpClient CreateClient(string proxy)
    {
        var handler = new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            Proxy = proxy.Length == 0 ? null : ProxyOf(new Uri(proxy)),
            UseProxy = proxy.Length != 0,
        };
        return new HttpClient(handler) { Timeout = System.Threading.Timeout.InfiniteTimeSpan };
    }

    // User info in a proxy address (http://user:password@proxy:3128, as Go clients take it) becomes the proxy's
    // credentials: .NET does not authenticate to a proxy from its address, and its own errors quote the address.
    private static WebProxy ProxyOf(Uri proxy)
    {
        if (proxy.UserInfo.Length == 0)
        {
            return new WebProxy(proxy);
        }

        var separator = proxy.UserInfo.IndexOf(':', StringComparison.Ordinal);
        var user = separator < 0 ? proxy.UserInfo : proxy.UserInfo[..separator];
        var password = separator < 0 ? string.Empty : proxy.UserInfo[(separator + 1)..];
        var bare = new UriBuilder(proxy) { UserName = string.Empty, Password = string.Empty }.Uri;
        return new WebProxy(bare) { Credentials = new NetworkCredential(Uri.UnescapeDataString(user), Uri.UnescapeDataString(password)) };
    }

    // A chat service's incoming-webhook address is the credential, path and all.
    private static string Redact(string text, Uri address, string? proxy, string? token) =>
        SecretText.Redact(text, SecretText.SecretsOf(address.AbsoluteUri, includePath: true).Concat(SecretText.SecretsOf(proxy)).Append(token));

    private static string Truncate(string text) => text.Length <= 200 ? text : text[..200];
}
