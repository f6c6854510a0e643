using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;

namespace Flagger.Testing.Tests;

/// <summary>The remote-command framing itself, with a plain <see cref="ClientWebSocket"/> in place of kubectl.</summary>
public sealed class ExecWebSocketTests
{
    private static async Task<ClientWebSocket> ConnectAsync(EmbeddedCluster cluster, string query)
    {
        var socket = new ClientWebSocket();
        socket.Options.AddSubProtocol("v5.channel.k8s.io");
        var uri = new Uri(cluster.BaseAddress.ToString().Replace("http://", "ws://", StringComparison.Ordinal) + "api/v1/namespaces/test/pods/tester/exec?" + query);
        await socket.ConnectAsync(uri, TestCluster.Ct);
        return socket;
    }

    private static Task SendAsync(ClientWebSocket socket, byte channel, string text) =>
        socket.SendAsync((byte[])[channel, .. Encoding.UTF8.GetBytes(text)], WebSocketMessageType.Binary, true, TestCluster.Ct);

    /// <summary>Reads frames until the server closes; returns each channel's text.</summary>
    private static async Task<Dictionary<int, string>> ReadAllAsync(ClientWebSocket socket, Func<string, Task>? onStdout = null)
    {
        var channels = new Dictionary<int, string>();
        var buffer = new byte[64 * 1024];
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer, TestCluster.Ct);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, TestCluster.Ct);
                return channels;
            }

            Assert.True(result.EndOfMessage, "a frame fits in one message here");
            Assert.Equal(WebSocketMessageType.Binary, result.MessageType);
            var text = Encoding.UTF8.GetString(buffer, 1, result.Count - 1);
            channels[buffer[0]] = channels.GetValueOrDefault(buffer[0], "") + text;
            if (buffer[0] == 1 && onStdout is not null)
            {
                await onStdout(channels[1]);
            }
        }
    }

    [Fact]
    public async Task Output_and_the_exit_status_arrive_on_their_channels()
    {
        var (cluster, _) = await PodsFixture.StartAsync();
        await using var __ = cluster;
        using var socket = await ConnectAsync(cluster, "command=sh&command=-c&command=curl%20-sSf%20http://podinfo-canary:9898/status/404&stdout=true&stderr=true");

        var channels = await ReadAllAsync(socket);

        Assert.Equal("v5.channel.k8s.io", socket.SubProtocol);
        Assert.Equal("curl: (22) The requested URL returned error: 404\n", channels[2]);
        var status = JsonNode.Parse(channels[3])!;
        Assert.Equal("NonZeroExitCode", (string?)status["reason"]);
        Assert.Equal("22", (string?)status["details"]!["causes"]![0]!["message"]);
    }

    [Fact]
    public async Task Closing_stdin_with_the_v5_close_signal_ends_the_shell()
    {
        var (cluster, _) = await PodsFixture.StartAsync();
        await using var __ = cluster;
        using var socket = await ConnectAsync(cluster, "command=sh&stdin=true&stdout=true&stderr=true");

        await SendAsync(socket, 0, "echo one two\nhost");
        await SendAsync(socket, 0, "name\n");
        await socket.SendAsync((byte[])[255, 0], WebSocketMessageType.Binary, true, TestCluster.Ct);
        var channels = await ReadAllAsync(socket);

        Assert.Equal("one two\ntester\n", channels[1]);
        Assert.Equal("Success", (string?)JsonNode.Parse(channels[3])!["status"]);
    }

    [Fact]
    public async Task Ctrl_c_on_a_tty_interrupts_the_running_command_not_the_shell()
    {
        var (cluster, _) = await PodsFixture.StartAsync();
        await using var __ = cluster;
        using var socket = await ConnectAsync(cluster, "command=sh&stdin=true&stdout=true&tty=true");
        var typed = 0;
        string[] script = ["sleep 60\r", "\u0003", "exit\r"];
        string[] waitFor = ["/ $ ", "sleep 60\r\n", "^C\r\n/ $ "];

        var channels = await ReadAllAsync(socket, async stdout =>
        {
            if (typed < script.Length && stdout.EndsWith(waitFor[typed], StringComparison.Ordinal))
            {
                await SendAsync(socket, 0, script[typed++]);
            }
        });

        Assert.Equal("/ $ sleep 60\r\n^C\r\n/ $ exit\r\n", channels[1]);
        Assert.Equal("130", (string?)JsonNode.Parse(channels[3])!["details"]!["causes"]![0]!["message"]);
    }
}
