using Flagger.Hosting.Flags;
using Flagger.Operator;
using Microsoft.Extensions.Options;

// Flagger's operator for a real cluster: Flagger's flags in, the walkthrough's behaviour out.
var flags = FlaggerFlags.Parse(args, Environment.GetEnvironmentVariables());
if (flags.IsSet("help"))
{
    Console.WriteLine("Usage: flagger [flags]");
    Console.WriteLine(FlaggerFlags.Help());
    return 0;
}

if (flags.IsSet("version"))
{
    Console.WriteLine(OperatorHost.VersionLine());
    return 0;
}

try
{
    await using var app = OperatorHost.Build(flags);
    using var stopping = new CancellationTokenSource();
    Console.CancelKeyPress += (_, e) =>
    {
        e.Cancel = true;
        stopping.Cancel();
    };
    await OperatorHost.StartAsync(app, stopping.Token);
    await app.WaitForShutdownAsync(stopping.Token);
    return 0;
}
catch (FlagsException e)
{
    await Console.Error.WriteLineAsync(e.Message);
    return 2;
}
catch (OptionsValidationException e)
{
    await Console.Error.WriteLineAsync(string.Join(Environment.NewLine, e.Failures));
    return 2;
}
catch (StartupCheckException e)
{
    await Console.Error.WriteLineAsync(e.Message);
    return 1;
}
