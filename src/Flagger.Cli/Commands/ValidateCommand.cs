using System.CommandLine;
using Flagger.Cli.Validation;

namespace Flagger.Cli.Commands;

/// <summary>
/// <c>validate -f FILE...</c>: offline, no cluster. One line per problem naming the field, exit code 1 when there is
/// any, for pre-commit hooks and CI.
/// </summary>
internal static class ValidateCommand
{
    public static Command Build(CliConsole console)
    {
        var files = new Option<string[]>("--filename", "-f")
        {
            Description = "Manifest files or directories (*.yaml, *.yml, *.json), - for stdin",
            Required = true,
            AllowMultipleArgumentsPerToken = true,
        };
        var mesh = new Option<string>("--mesh-provider") { Description = "The operator's -mesh-provider", DefaultValueFactory = _ => "istio" };
        var noCross = new Option<bool>("--no-cross-namespace-refs") { Description = "The operator's -no-cross-namespace-refs" };
        var metrics = new Option<string[]>("--metrics-provider") { Description = "A metrics provider type the operator registers besides prometheus (repeatable)" };
        var command = new Command("validate", "Check Canaries, MetricTemplates and AlertProviders offline: the CRDs' schemas, then the operator's validators")
        {
            files, mesh, noCross, metrics,
        };
        command.SetAction(parsed =>
        {
            var validator = ManifestValidator.ForOperator(parsed.GetValue(mesh)!, parsed.GetValue(noCross), parsed.GetValue(metrics) ?? []);
            var checkedObjects = 0;
            var problems = 0;
            foreach (var file in (parsed.GetValue(files) ?? []).SelectMany(Manifests.Expand))
            {
                foreach (var manifest in Manifests.Read(file).Where(m => ManifestValidator.Covers(m.Json)))
                {
                    checkedObjects++;
                    foreach (var problem in validator.Validate(manifest))
                    {
                        problems++;
                        console.Out.WriteLine(problem.ToString());
                    }
                }
            }

            if (problems > 0)
            {
                return CliApp.Failed;
            }

            console.Error.WriteLine($"{checkedObjects} flagger.app object{(checkedObjects == 1 ? string.Empty : "s")} valid");
            return CliApp.Ok;
        });
        return command;
    }
}
