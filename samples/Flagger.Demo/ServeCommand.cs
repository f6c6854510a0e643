using Flagger.Testing;

namespace Flagger.Demo;

/// <summary>
/// <c>serve --cluster-only --kubeconfig PATH</c>: the embedded cluster alone, for kubectl, until Ctrl-C.
/// </summary>
internal static class ServeCommand
{
    public const string Usage = "usage: dotnet run --project samples/Flagger.Demo -- serve --cluster-only --kubeconfig PATH";

    public static async Task<int> RunAsync(string[] args)
    {
        var kubeconfig = Value(args, "--kubeconfig");
        if (kubeconfig is null)
        {
            await Console.Error.WriteLineAsync($"--kubeconfig: required, the file to write the cluster's kubeconfig to\n{Usage}");
            return 2;
        }

        if (!args.Contains("--cluster-only"))
        {
            await Console.Error.WriteLineAsync($"serve runs the embedded cluster only for now: add --cluster-only (the operator on it comes with issue 6)\n{Usage}");
            return 2;
        }

        using var stop = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            stop.Cancel();
        };
        return await EmbeddedCluster.ServeAsync(Path.GetFullPath(kubeconfig), Console.Out, cancellationToken: stop.Token);
    }

    private static string? Value(string[] args, string flag)
    {
        var index = Array.IndexOf(args, flag);
        if (index >= 0 && index + 1 < args.Length)
        {
            return args[index + 1];
        }

        return args.FirstOrDefault(a => a.StartsWith(flag + "=", StringComparison.Ordinal))?[(flag.Length + 1)..];
    }
}
