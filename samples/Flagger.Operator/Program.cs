using Flagger.Hosting.Flags;
using Flagger.Operator;

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
    await OperatorHost.StartAsync(app, app.Lifetime.ApplicationStopping);
    await app.WaitForShutdownAsync(); // SIGTERM and Ctrl+C stop it; the Lease is released on the way out
    return 0;
}
catch (FlagsException e)
{
    await Console.Error.WriteLineAsync(e.Message);
    return 2;
}
catch (StartupCheckException e)
{
    await Console.Error.WriteLineAsync(e.Message);
    return 1;
}
