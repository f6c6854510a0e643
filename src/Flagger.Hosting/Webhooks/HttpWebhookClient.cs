using System.Net;
using System.Net.Http.Json;
using Flagger.Hosting.Scheduling;
using Flagger.Model;
using Flagger.Webhooks;

namespace Flagger.Hosting.Webhooks;

/// <summary>
/// Calls analysis webhooks over HTTP: POST of the JSON payload, success for a status of 202 or less, otherwise the
/// response body is the error users see in the event. Transport errors, 429 and 5xx are retried up to the hook's
/// <c>retries</c> (at most <see cref="FieldLimits.MaxWebhookRetries"/>); a call waits at most
/// <see cref="FieldLimits.MaxWebhookTimeout"/>. Under the operator's scheduler, the hooks of one tick share one
/// analysis interval (<see cref="TickBudgets"/>): an attempt waits at most what is left of it, and none starts once it
/// is spent.
/// </summary>
internal sealed class HttpWebhookClient(TimeProvider time, TickBudgets? budgets = null) : IWebhookClient, IDisposable
{
    /// <summary>Used when a hook gives no timeout (or one too short to be a duration, as Flagger reads it).</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    private static readonly TimeSpan RetryDelay = TimeSpan.FromMilliseconds(500);

    private readonly HttpClient verifying = Create(verifyTls: true);
    private readonly HttpClient skippingTls = Create(verifyTls: false);

    public async Task<WebhookResult> CallAsync(CanaryWebhook webhook, WebhookPayload payload, CancellationToken cancellationToken)
    {
        if (!Uri.TryCreate(webhook.Url, UriKind.Absolute, out var url))
        {
            return WebhookResult.Failure($"invalid webhook url '{WebhookErrorText.Address(webhook.Url)}'");
        }

        var timeout = Timeout(webhook);
        var client = webhook.DisableTls ? skippingTls : verifying;
        string error = string.Empty;
        // Validation bounds both; a spec that skipped it (or a caller of the engine with its own ports) still gets a
        // loop that ends and a timer that can be armed: int.MaxValue retries would wrap the counter and never end.
        var attempts = 1 + Math.Clamp(webhook.Retries, 0, FieldLimits.MaxWebhookRetries);
        for (var attempt = 0; attempt < attempts; attempt++)
        {
            if (attempt > 0)
            {
                await Task.Delay(RetryDelay, time, cancellationToken).ConfigureAwait(false);
            }

            var budget = budgets?.Remaining(payload.Namespace, payload.Name);
            if (budget is { Left: var left, Interval: var interval } && left <= TimeSpan.Zero)
            {
                error = $"webhook {webhook.Name} not called: this tick's time for webhooks, one interval ({GoDuration.Format(interval)}), is spent";
                break;
            }

            var capped = budget is { } b && b.Left < timeout;
            var wait = capped ? budget!.Value.Left : timeout;

            // The hook's timeout runs on the host's clock, like the retry delay: a scaled or fake clock (demo, tests)
            // must not leave a hanging receiver holding the canary's tick for the timeout in real seconds.
            using var timer = new CancellationTokenSource(wait, time);
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timer.Token);
            try
            {
                using var response = await client.PostAsJsonAsync(url, payload, HostingJsonContext.Default.WebhookPayload, deadline.Token).ConfigureAwait(false);
                if ((int)response.StatusCode <= (int)HttpStatusCode.Accepted)
                {
                    return WebhookResult.Success;
                }

                error = await ReadBoundedAsync(response.Content, deadline.Token).ConfigureAwait(false);
                if (string.IsNullOrWhiteSpace(error))
                {
                    error = $"status {(int)response.StatusCode}";
                }

                if (response.StatusCode != HttpStatusCode.TooManyRequests && (int)response.StatusCode < 500)
                {
                    break;
                }
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && capped)
            {
                // The tick's time ran out: no retry could run either.
                error = $"webhook {webhook.Name} stopped: this tick's time for webhooks, one interval ({GoDuration.Format(budget!.Value.Interval)}), ran out";
                break;
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                error = $"webhook {webhook.Name} timed out after {GoDuration.Format(timeout)}";
            }
            catch (HttpRequestException e)
            {
                error = e.Message;
            }
        }

        // The answer goes to events, the status and alerts: bounded and without the hook's own secrets.
        return WebhookResult.Failure(WebhookErrorText.Clean(error, webhook));
    }

    public void Dispose()
    {
        verifying.Dispose();
        skippingTls.Dispose();
    }

    // Reads no more of the answer than can be shown (plus a little, so the cut is reported): a receiver that
    // streams megabytes must neither fill the operator's memory nor hold the tick until the hook's timeout.
    private static async Task<string> ReadBoundedAsync(HttpContent content, CancellationToken cancellationToken)
    {
        var stream = await content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            using var reader = new StreamReader(stream);
            var buffer = new char[WebhookErrorText.MaxLength * 4];
            var read = 0;
            int chunk;
            while (read < buffer.Length && (chunk = await reader.ReadAsync(buffer.AsMemory(read), cancellationToken).ConfigureAwait(false)) > 0)
            {
                read += chunk;
            }

            return new string(buffer, 0, read);
        }
    }

    internal static TimeSpan Timeout(CanaryWebhook webhook) =>
        webhook.Timeout is { Length: >= 2 } text && GoDuration.TryParse(text, out var parsed) && parsed > TimeSpan.Zero
            ? parsed > FieldLimits.MaxWebhookTimeout ? FieldLimits.MaxWebhookTimeout : parsed
            : DefaultTimeout;

    private static HttpClient Create(bool verifyTls)
    {
        var handler = new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) };
        if (!verifyTls)
        {
#pragma warning disable CA5359 // The hook asked for it (disableTLS): self-signed in-cluster endpoints are common.
            handler.SslOptions.RemoteCertificateValidationCallback = (_, _, _, _) => true;
#pragma warning restore CA5359
        }

        return new HttpClient(handler) { Timeout = System.Threading.Timeout.InfiniteTimeSpan };
    }
}
