using System.Runtime.InteropServices;
using Flagger.Demo;

// Ctrl-C and SIGTERM stop the demo; the hosts inside it would otherwise take SIGTERM for themselves and keep running.
using var stop = new CancellationTokenSource();
void Stop(PosixSignalContext context)
{
    context.Cancel = true;
    stop.Cancel();
}

using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);

return await DemoProgram.RunAsync(args, Console.Out, stop.Token);
