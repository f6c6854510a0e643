namespace Flagger.Demo;

/// <summary>The demo's entry point, callable in-process by tests.</summary>
public static class DemoProgram
{
    /// <summary>Runs the walkthrough (no arguments) or <c>serve</c>; returns the exit code (2 for bad arguments).</summary>
    /// <param name="args">Command line.</param>
    /// <param name="output">Where to print.</param>
    /// <param name="cancellationToken">Stops the demo (Ctrl-C).</param>
    /// <param name="timeline">Receives the events as they are printed; for tests.</param>
    public static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter output, CancellationToken cancellationToken, Timeline? timeline = null)
    {
        ArgumentNullException.ThrowIfNull(output);
        var (options, errors) = DemoOptions.Parse(args);
        if (options is null)
        {
            foreach (var error in errors)
            {
                await output.WriteLineAsync(error).ConfigureAwait(false);
            }

            await output.WriteLineAsync(DemoOptions.Usage).ConfigureAwait(false);
            return 2;
        }

        if (options.Serve)
        {
            return await ServeCommand.RunAsync(options, output, cancellationToken).ConfigureAwait(false);
        }

        try
        {
            await using var environment = await DemoEnvironment.StartAsync(options, output, cancellationToken, timeline).ConfigureAwait(false);
            if (environment.Exporter is not null)
            {
                environment.Console.WriteLine($"Mesh metrics for {options.Prometheus}: scrape {environment.Exporter} (its rate windows run on the wall clock, so each covers {options.Speed} times more simulated time)");
            }

            return await new WalkthroughScript(environment, options.Provider, options.Judge).RunAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await output.WriteLineAsync("Stopped before the walkthrough finished.").ConfigureAwait(false);
            return 130;
        }
    }
}
