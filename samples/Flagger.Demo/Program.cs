using Flagger.Demo;

using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};

return await DemoProgram.RunAsync(args, Console.Out, stop.Token);
