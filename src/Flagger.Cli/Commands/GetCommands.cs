using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Flagger.Cli.Rendering;
using Flagger.Model;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Flagger.Cli.Commands;

/// <summary><c>get canaries [-A] [-w]</c> and <c>get canary NAME [-w]</c>.</summary>
internal static class GetCommands
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static Command Build(CliConsole console)
    {
        var get = new Command("get", "Show canaries: phase, weight, step, failed checks, iterations, time in phase, revision");
        get.Subcommands.Add(List(console));
        get.Subcommands.Add(One(console));
        return get;
    }

    private static Command List(CliConsole console)
    {
        var all = new Option<bool>("--all-namespaces", "-A") { Description = "Canaries of every namespace" };
        var (watch, exit, output) = (WatchOption(), ExitOption(), GlobalOptions.Output());
        var command = new Command("canaries", "List canaries") { all, watch, exit, output };
        command.SetAction(async (parsed, ct) =>
        {
            RequireWatch(parsed, watch, exit);
            using var kube = GlobalOptions.Connect(parsed);
            var allNamespaces = parsed.GetValue(all);
            var ns = allNamespaces ? null : kube.Namespace;
            var format = parsed.GetValue(output);
            if (!parsed.GetValue(watch))
            {
                var canaries = await kube.Client.ListCanariesAsync(ns, ct).ConfigureAwait(false);
                return Print(console, format, canaries, asList: true, () => CanaryView.List(canaries, allNamespaces, Now));
            }

            var tracker = parsed.GetValue(exit) ? new CompletionTracker() : null;
            return await WatchAsync(console, format, kube.Client.WatchCanariesAsync(ns, ct), tracker, list => CanaryView.List(list, allNamespaces, Now), ct).ConfigureAwait(false);
        });
        return command;
    }

    private static Command One(CliConsole console)
    {
        var name = new Argument<string>("NAME") { Description = "The canary's name" };
        var (watch, exit, output) = (WatchOption(), ExitOption(), GlobalOptions.Output());
        var command = new Command("canary", "Show one canary with its metrics, webhooks and timeline of events") { name, watch, exit, output };
        command.SetAction(async (parsed, ct) =>
        {
            RequireWatch(parsed, watch, exit);
            using var kube = GlobalOptions.Connect(parsed);
            var canaryName = parsed.GetValue(name)!;
            var format = parsed.GetValue(output);
            var canary = await kube.Client.GetCanaryAsync(kube.Namespace, canaryName, ct).ConfigureAwait(false)
                ?? throw new CommandFailedException($"canary {canaryName} not found in namespace {kube.Namespace}");
            if (!parsed.GetValue(watch))
            {
                var events = await kube.Client.ListCanaryEventsAsync(kube.Namespace, canaryName, ct).ConfigureAwait(false);
                return Print(console, format, [canary], asList: false, () => CanaryView.Detail(canary, events, Now));
            }

            var tracker = parsed.GetValue(exit) ? new CompletionTracker() : null;
            var states = Snapshots(kube.Client.WatchCanaryAsync(kube.Namespace, canaryName, ct));
            var latestEvents = (IReadOnlyList<k8s.Models.Corev1Event>)[];
            return await WatchAsync(
                console,
                format,
                WithEvents(states),
                tracker,
                list => CanaryView.Detail(list[0], latestEvents, Now),
                ct).ConfigureAwait(false);

            async IAsyncEnumerable<IReadOnlyList<Canary>> WithEvents(IAsyncEnumerable<IReadOnlyList<Canary>> source)
            {
                await foreach (var state in source.ConfigureAwait(false))
                {
                    latestEvents = await kube.Client.ListCanaryEventsAsync(kube.Namespace, canaryName, ct).ConfigureAwait(false);
                    yield return state;
                }
            }
        });
        return command;
    }

    private static void RequireWatch(ParseResult parsed, Option<bool> watch, Option<bool> exit)
    {
        if (parsed.GetValue(exit) && !parsed.GetValue(watch))
        {
            throw new UsageException("--exit-on-complete needs -w (it ends a watch)");
        }
    }

    private static Option<bool> WatchOption() => new("--watch", "-w") { Description = "Keep watching and redraw on every change" };

    private static Option<bool> ExitOption() =>
        new("--exit-on-complete") { Description = "With -w: exit once the release in progress ends, 0 on Succeeded, 1 on Failed (for CI)" };

    private static DateTimeOffset Now => TimeProvider.System.GetUtcNow();

    private static async IAsyncEnumerable<IReadOnlyList<Canary>> Snapshots(IAsyncEnumerable<Canary> states)
    {
        await foreach (var state in states.ConfigureAwait(false))
        {
            yield return [state];
        }
    }

    private static int Print(CliConsole console, string? format, IReadOnlyList<Canary> canaries, bool asList, Func<IRenderable> view)
    {
        switch (format)
        {
            case "json":
                console.Out.WriteLine(Document(canaries, asList).ToJsonString(Indented));
                break;
            case "yaml":
                console.Out.Write(YamlText.Write(Document(canaries, asList)));
                break;
            default:
                console.Rich.Write(view());
                break;
        }

        return CliApp.Ok;
    }

    private static async Task<int> WatchAsync(
        CliConsole console, string? format, IAsyncEnumerable<IReadOnlyList<Canary>> snapshots, CompletionTracker? tracker, Func<IReadOnlyList<Canary>, IRenderable> view, CancellationToken ct)
    {
        if (format is not null || !console.Interactive)
        {
            // Piped or -o: each change below the last (one JSON document per change, YAML documents separated by ---).
            await foreach (var snapshot in snapshots.ConfigureAwait(false))
            {
                if (format == "yaml")
                {
                    console.Out.WriteLine("---");
                }

                Print(console, format, snapshot, asList: true, () => view(snapshot));
                await console.Out.FlushAsync(ct).ConfigureAwait(false);
                if (tracker?.Observe(snapshot) is { } code)
                {
                    return code;
                }
            }

            return CliApp.Ok;
        }

        int? exit = null;
        await console.Rich.Live(new Text("waiting for the API server...")).AutoClear(false).Overflow(VerticalOverflow.Ellipsis).StartAsync(async live =>
        {
            await foreach (var snapshot in snapshots.ConfigureAwait(false))
            {
                live.UpdateTarget(view(snapshot));
                live.Refresh();
                if (tracker?.Observe(snapshot) is { } code)
                {
                    exit = code;
                    return;
                }
            }
        }).ConfigureAwait(false);
        return exit ?? CliApp.Ok;
    }

    private static JsonNode Document(IReadOnlyList<Canary> canaries, bool asList)
    {
        var items = canaries.Select(c => JsonNode.Parse(FlaggerJson.Serialize(c))!).ToList();
        return asList
            ? new JsonObject { ["apiVersion"] = "v1", ["kind"] = "List", ["items"] = new JsonArray([.. items]) }
            : items[0];
    }
}
