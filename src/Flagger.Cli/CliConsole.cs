using Spectre.Console;

namespace Flagger.Cli;

/// <summary>Where the CLI writes: plain text for data (JSON, YAML, problem lines), Spectre for tables and live views.</summary>
internal sealed class CliConsole
{
    // Wide enough that a redirected table (a pipe, a test) never wraps a row; a terminal reports its own width.
    private const int RedirectedWidth = 240;

    public CliConsole(TextWriter output, TextWriter error, bool interactive)
    {
        Out = output;
        Error = error;
        Interactive = interactive;
        Rich = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Ansi = interactive ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = interactive ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = interactive ? InteractionSupport.Yes : InteractionSupport.No,
        });
        if (!interactive)
        {
            Rich.Profile.Width = RedirectedWidth;
        }
    }

    public TextWriter Out { get; }

    public TextWriter Error { get; }

    /// <summary>A terminal: live views redraw in place; otherwise each change is printed below the last.</summary>
    public bool Interactive { get; }

    public IAnsiConsole Rich { get; }

    public static CliConsole FromProcess() => new(Console.Out, Console.Error, !Console.IsOutputRedirected);
}
