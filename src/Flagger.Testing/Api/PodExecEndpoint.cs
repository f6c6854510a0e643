using System.Buffers;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using Flagger.Testing.Pods;
using Flagger.Testing.Storage;
using Microsoft.AspNetCore.Http;

namespace Flagger.Testing.Api;

/// <summary>
/// <c>/api/v1/namespaces/{ns}/pods/{name}/exec</c> over Kubernetes' WebSocket remote-command protocol
/// (<c>v5.channel.k8s.io</c>, or <c>v4.channel.k8s.io</c>). Every binary message starts with a channel byte:
/// 0 stdin, 1 stdout, 2 stderr, 3 the final <c>Status</c> (exit code), 4 terminal resize, and in v5 255
/// "close" whose payload names the channel the client closed (stdin at end of a piped input). kubectl tries
/// this first and falls back to SPDY only when the upgrade fails; SPDY is not served.
/// </summary>
internal sealed class PodExecEndpoint(ObjectStore store, PodNetwork network)
{
    internal const string V5 = "v5.channel.k8s.io";
    internal const string V4 = "v4.channel.k8s.io";

    public async Task HandleAsync(HttpContext context, JsonObject pod, CancellationToken ct)
    {
        var query = context.Request.Query;
        PodEndpoints.CheckContainer(pod, query["container"]);
        var argv = query["command"].Where(c => c is not null).Select(c => c!).ToList();
        if (argv.Count == 0)
        {
            throw ApiException.BadRequest("you must specify at least 1 command");
        }

        if (Meta.Str(pod["status"]?["phase"]) != "Running")
        {
            throw ApiException.BadRequest($"pod {Meta.Name(pod)} is not running yet (phase {Meta.Str(pod["status"]?["phase"]) ?? "Pending"})");
        }

        if (!context.WebSockets.IsWebSocketRequest)
        {
            throw ApiException.BadRequest("Upgrade request required: this server speaks the WebSocket remote-command protocol (v5.channel.k8s.io) only");
        }

        var requested = context.WebSockets.WebSocketRequestedProtocols;
        var protocol = requested.Contains(V5) ? V5 : requested.Contains(V4) ? V4 : null;
        if (protocol is null)
        {
            throw ApiException.BadRequest($"none of the requested subprotocols [{string.Join(", ", requested)}] is served; use {V5} or {V4}");
        }

        using var socket = await context.WebSockets.AcceptWebSocketAsync(protocol).ConfigureAwait(false);
        using var session = CancellationTokenSource.CreateLinkedTokenSource(ct);
        using var sending = new SemaphoreSlim(1, 1);
        async Task Send(int channel, byte[] payload, CancellationToken c)
        {
            var frame = new byte[payload.Length + 1];
            frame[0] = (byte)channel;
            payload.CopyTo(frame, 1);
            await sending.WaitAsync(c).ConfigureAwait(false);
            try
            {
                await socket.SendAsync(frame, WebSocketMessageType.Binary, endOfMessage: true, c).ConfigureAwait(false);
            }
            finally
            {
                sending.Release();
            }
        }

        var tty = QueryFlags.Get(query, "tty");
        var terminal = new ShellTerminal(tty, (channel, text, c) => Send(channel, Encoding.UTF8.GetBytes(text), c));
        if (!QueryFlags.Get(query, "stdin"))
        {
            terminal.EndOfInput();
        }

        var receiving = ReceiveAsync(socket, terminal, session);
        var shell = new PodShell(Meta.Namespace(pod)!, Meta.Name(pod), terminal, network, store.Time);
        int exit;
        try
        {
            exit = await shell.ExecAsync(argv, session.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (session.IsCancellationRequested)
        {
            // The client went away mid-command.
            return;
        }
        catch (WebSocketException)
        {
            return;
        }

        try
        {
            await Send(3, Encoding.UTF8.GetBytes(Status(exit).ToJsonString()), session.Token).ConfigureAwait(false);
            await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, session.Token).ConfigureAwait(false);
            // Let the client read everything and answer the close; it ends the receive loop.
            await receiving.WaitAsync(TimeSpan.FromSeconds(5), TimeProvider.System, session.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or TimeoutException)
        {
            // The client did not wait for the close handshake.
        }
        finally
        {
            await session.CancelAsync().ConfigureAwait(false);
        }
    }

    /// <summary>The exit status message of channel 3: Success, or a NonZeroExitCode failure kubectl turns into its exit code.</summary>
    internal static JsonObject Status(int exit) => exit == 0
        ? new JsonObject { ["metadata"] = new JsonObject(), ["status"] = "Success" }
        : new JsonObject
        {
            ["metadata"] = new JsonObject(),
            ["status"] = "Failure",
            ["message"] = $"command terminated with non-zero exit code: error executing command, exit status {exit}",
            ["reason"] = "NonZeroExitCode",
            ["details"] = new JsonObject
            {
                ["causes"] = new JsonArray(new JsonObject { ["reason"] = "ExitCode", ["message"] = exit.ToString(System.Globalization.CultureInfo.InvariantCulture) }),
            },
        };

    private static async Task ReceiveAsync(WebSocket socket, ShellTerminal terminal, CancellationTokenSource session)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        var message = new List<byte>();
        try
        {
            while (!session.IsCancellationRequested)
            {
                var result = await socket.ReceiveAsync(buffer, session.Token).ConfigureAwait(false);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    break;
                }

                message.AddRange(buffer.AsSpan(0, result.Count));
                if (!result.EndOfMessage)
                {
                    continue;
                }

                if (message.Count > 0)
                {
                    var payload = message.ToArray().AsSpan(1);
                    switch (message[0])
                    {
                        case 0:
                            terminal.Type(payload);
                            break;
                        case 255 when payload.Length > 0 && payload[0] == 0:
                            terminal.EndOfInput();
                            break;
                    }
                }

                message.Clear();
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException)
        {
            // The connection ended.
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            terminal.EndOfInput();
            if (socket.State is not (WebSocketState.Open or WebSocketState.CloseSent))
            {
                await session.CancelAsync().ConfigureAwait(false);
            }
        }
    }
}
