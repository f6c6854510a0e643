using Flagger.Cli;

// Ctrl-C ends a watch cleanly (exit 130, as shells expect) instead of killing the process mid-frame.
using var interrupted = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    interrupted.Cancel();
};
return await CliApp.RunAsync(args, CliConsole.FromProcess(), interrupted.Token).ConfigureAwait(false);
