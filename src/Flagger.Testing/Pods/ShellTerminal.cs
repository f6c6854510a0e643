using System.Text;
using System.Threading.Channels;

namespace Flagger.Testing.Pods;

/// <summary>
/// The shell's side of an exec session: bytes typed (stdin), text printed (stdout/stderr), and whether a TTY
/// sits in between. With a TTY the shell echoes and edits the line itself (the client's terminal is raw),
/// ends lines with CR LF, and Ctrl-C interrupts the running command instead of ending kubectl.
/// </summary>
internal sealed class ShellTerminal
{
    private readonly Channel<byte> _input = Channel.CreateUnbounded<byte>();
    private readonly Func<int, string, CancellationToken, Task> _write;
    private CancellationTokenSource? _running;

    /// <param name="tty">Whether the client asked for a TTY.</param>
    /// <param name="write">Writes text to a stream: 1 stdout, 2 stderr.</param>
    public ShellTerminal(bool tty, Func<int, string, CancellationToken, Task> write)
    {
        Tty = tty;
        _write = write;
    }

    public bool Tty { get; }

    /// <summary>Feeds bytes the client typed. With a TTY, Ctrl-C while a command runs interrupts it.</summary>
    public void Type(ReadOnlySpan<byte> bytes)
    {
        foreach (var b in bytes)
        {
            if (Tty && b == 0x03 && Volatile.Read(ref _running) is { } running)
            {
                try
                {
                    running.Cancel();
                }
                catch (ObjectDisposedException)
                {
                    // The command ended just now; the interrupt has nothing left to stop.
                }

                continue;
            }

            _input.Writer.TryWrite(b);
        }
    }

    /// <summary>The client closed stdin (Ctrl-D of a pipe, or the session ended).</summary>
    public void EndOfInput() => _input.Writer.TryComplete();

    public Task OutAsync(string text, CancellationToken ct) => _write(1, Tty ? text.Replace("\n", "\r\n", StringComparison.Ordinal) : text, ct);

    public Task ErrAsync(string text, CancellationToken ct) => Tty ? OutAsync(text, ct) : _write(2, text, ct);

    /// <summary>Runs a command so that Ctrl-C cancels it (the token it gets), but not the session.</summary>
    public async Task<int> InterruptibleAsync(Func<CancellationToken, Task<int>> command, CancellationToken session)
    {
        // Armed when Enter was echoed (see ReadLineAsync), so a Ctrl-C typed right after the echo is not lost.
        var interrupt = Volatile.Read(ref _running) ?? new CancellationTokenSource();
        Volatile.Write(ref _running, interrupt);
        using var running = CancellationTokenSource.CreateLinkedTokenSource(session, interrupt.Token);
        try
        {
            return await command(running.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!session.IsCancellationRequested)
        {
            await OutAsync("^C\n", session).ConfigureAwait(false);
            return 130;
        }
        finally
        {
            Volatile.Write(ref _running, null);
            interrupt.Dispose();
        }
    }

    /// <summary>Back at the prompt: a Ctrl-C is the line editor's again.</summary>
    public void Disarm() => Interlocked.Exchange(ref _running, null)?.Dispose();

    /// <summary>Reads one line, echoing and editing it with a TTY; null at end of input (or Ctrl-D on an empty line).</summary>
    public async Task<string?> ReadLineAsync(CancellationToken ct)
    {
        var line = new List<byte>();
        var escape = 0;
        while (true)
        {
            if (!await _input.Reader.WaitToReadAsync(ct).ConfigureAwait(false))
            {
                return line.Count > 0 ? Decode(line) : null;
            }

            var b = await _input.Reader.ReadAsync(ct).ConfigureAwait(false);
            if (!Tty)
            {
                if (b == (byte)'\n')
                {
                    return Decode(line).TrimEnd('\r');
                }

                line.Add(b);
                continue;
            }

            if (escape > 0)
            {
                // Arrow keys and the like (ESC [ X): swallowed, there is no history to move through.
                escape = escape == 1 && b == (byte)'[' ? 2 : (b >= 0x40 ? 0 : escape);
                continue;
            }

            switch (b)
            {
                case (byte)'\r' or (byte)'\n':
                    Volatile.Write(ref _running, new CancellationTokenSource());
                    await _write(1, "\r\n", ct).ConfigureAwait(false);
                    return Decode(line);
                case 0x7f or 0x08:
                    if (line.Count > 0)
                    {
                        // Drop a whole UTF-8 character: its continuation bytes, then its lead byte.
                        while (line.Count > 1 && (line[^1] & 0xC0) == 0x80)
                        {
                            line.RemoveAt(line.Count - 1);
                        }

                        line.RemoveAt(line.Count - 1);
                        await _write(1, "\b \b", ct).ConfigureAwait(false);
                    }

                    break;
                case 0x03:
                    await _write(1, "^C\r\n", ct).ConfigureAwait(false);
                    return "";
                case 0x04:
                    if (line.Count == 0)
                    {
                        return null;
                    }

                    break;
                case 0x1b:
                    escape = 1;
                    break;
                case < 0x20:
                    break;
                default:
                    line.Add(b);
                    await _write(1, Encoding.Latin1.GetString([b]) is var s && b < 0x80 ? s : "", ct).ConfigureAwait(false);
                    if (b >= 0x80 && IsCompleteUtf8(line))
                    {
                        await _write(1, TrailingCharacter(line), ct).ConfigureAwait(false);
                    }

                    break;
            }
        }
    }

    private static string Decode(List<byte> bytes) => Encoding.UTF8.GetString([.. bytes]);

    private static bool IsCompleteUtf8(List<byte> line)
    {
        var start = line.Count - 1;
        while (start > 0 && (line[start] & 0xC0) == 0x80)
        {
            start--;
        }

        var lead = line[start];
        var length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
        return line.Count - start == length;
    }

    private static string TrailingCharacter(List<byte> line)
    {
        var start = line.Count - 1;
        while (start > 0 && (line[start] & 0xC0) == 0x80)
        {
            start--;
        }

        return Encoding.UTF8.GetString([.. line.Skip(start)]);
    }
}
