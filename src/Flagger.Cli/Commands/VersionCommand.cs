using System.CommandLine;
using System.Reflection;
using System.Text.Json.Nodes;
using Flagger.Cli.Rendering;

namespace Flagger.Cli.Commands;

/// <summary><c>version</c>: this client's version and, when a cluster is reachable, the operator's.</summary>
internal static class VersionCommand
{
    public static Command Build(CliConsole console)
    {
        var output = GlobalOptions.Output();
        var command = new Command("version", "Print the client's and the operator's version") { output };
        command.SetAction(async (parsed, ct) =>
        {
            var client = ClientVersion;
            string operatorVersion;
            try
            {
                using var kube = GlobalOptions.Connect(parsed);
                operatorVersion = await kube.Client.GetOperatorVersionAsync(ct).ConfigureAwait(false)
                    ?? "not found (no Deployment labelled app.kubernetes.io/name=flagger or app=flagger)";
            }
            catch (UsageException e)
            {
                // The client's version is worth printing without a cluster; say why the operator's is missing.
                operatorVersion = $"unknown ({e.Message})";
            }

            var document = new JsonObject { ["client"] = client, ["operator"] = operatorVersion };
            switch (parsed.GetValue(output))
            {
                case "json":
                    await console.Out.WriteLineAsync(document.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true })).ConfigureAwait(false);
                    break;
                case "yaml":
                    await console.Out.WriteAsync(YamlText.Write(document)).ConfigureAwait(false);
                    break;
                default:
                    await console.Out.WriteLineAsync($"client: {client}\noperator: {operatorVersion}").ConfigureAwait(false);
                    break;
            }

            return CliApp.Ok;
        });
        return command;
    }

    /// <summary>The package version, without the commit SourceLink appends.</summary>
    public static string ClientVersion { get; } =
        (typeof(VersionCommand).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0").Split('+')[0];
}
