using System.Globalization;

namespace Flagger.Scale;

/// <summary>What to run: <c>--canaries N --interval 10s --window 60s [--out-of-process]</c>.</summary>
public sealed record ScaleOptions
{
    /// <summary>Canaries to create, each with its Deployment.</summary>
    public int Canaries { get; init; } = 100;

    /// <summary>Analysis interval of every canary (the operator's 10 s floor is lowered to it when shorter).</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long idle ticks are measured.</summary>
    public TimeSpan Window { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Run the embedded API server as a child process (the target setup).</summary>
    public bool OutOfProcess { get; init; }

    /// <summary>Canaries given a new revision (that fails its checks) after the window, for the detection and rollback times.</summary>
    public int Samples { get; init; } = 5;

    /// <summary>Time for pods of a new revision to become ready in the simulated cluster.</summary>
    public TimeSpan RolloutDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Creates running at once while the canaries are laid down.</summary>
    public int CreateParallelism { get; init; } = 8;

    /// <summary>Upper bound on how long the canaries may take to settle (Initialized).</summary>
    public TimeSpan SettleTimeout { get; init; } = TimeSpan.FromMinutes(20);

    /// <summary>
    /// Secrets no canary references, in namespace <c>unrelated</c>, created by the API server's process before the
    /// operator starts (so the harness's own memory is not charged with them); needs <c>--out-of-process</c>.
    /// </summary>
    public int UnrelatedSecrets { get; init; }

    /// <summary>Bytes of data in each unrelated Secret (<c>--secret-size 100KB</c>).</summary>
    public int SecretSize { get; init; } = 100 * 1024;

    /// <summary>Parses the flags; unknown flags are an error naming the flag.</summary>
    public static ScaleOptions Parse(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var options = new ScaleOptions();
        for (var i = 0; i < args.Count; i++)
        {
            string Value() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{args[i]}: needs a value");
            options = args[i] switch
            {
                "--canaries" => options with { Canaries = int.Parse(Value(), CultureInfo.InvariantCulture) },
                "--interval" => options with { Interval = ParseDuration(Value()) },
                "--window" => options with { Window = ParseDuration(Value()) },
                "--samples" => options with { Samples = int.Parse(Value(), CultureInfo.InvariantCulture) },
                "--rollout-delay" => options with { RolloutDelay = ParseDuration(Value()) },
                "--out-of-process" => options with { OutOfProcess = true },
                "--unrelated-secrets" => options with { UnrelatedSecrets = int.Parse(Value(), CultureInfo.InvariantCulture) },
                "--secret-size" => options with { SecretSize = ParseSize(Value()) },
                _ => throw new ArgumentException($"{args[i]}: unknown flag; use --canaries N --interval 10s --window 60s [--out-of-process] [--samples 5] [--rollout-delay 200ms] [--unrelated-secrets N --secret-size 100KB]"),
            };
        }

        if (options.Canaries < 1)
        {
            throw new ArgumentException("--canaries: must be at least 1");
        }

        if (options.UnrelatedSecrets < 0 || options.SecretSize < 0)
        {
            throw new ArgumentException("--unrelated-secrets, --secret-size: must not be negative");
        }

        if (options.UnrelatedSecrets > 0 && !options.OutOfProcess)
        {
            throw new ArgumentException("--unrelated-secrets: needs --out-of-process (in process, creating them would count against the operator's memory)");
        }

        return options;
    }

    /// <summary>Parses <c>100KB</c>, <c>1MB</c> (binary: 1 KB = 1024 bytes) or plain bytes.</summary>
    public static int ParseSize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var upper = text.Trim().ToUpperInvariant();
        var (digits, unit) = upper.EndsWith("KB", StringComparison.Ordinal) ? (upper[..^2], 1024)
            : upper.EndsWith("MB", StringComparison.Ordinal) ? (upper[..^2], 1024 * 1024)
            : (upper, 1);
        return checked(int.Parse(digits, NumberStyles.None, CultureInfo.InvariantCulture) * unit);
    }

    /// <summary>Parses <c>500ms</c>, <c>10s</c>, <c>2m</c> or plain seconds.</summary>
    public static TimeSpan ParseDuration(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.EndsWith("ms", StringComparison.Ordinal))
        {
            return TimeSpan.FromMilliseconds(double.Parse(text[..^2], CultureInfo.InvariantCulture));
        }

        return text[^1] switch
        {
            's' => TimeSpan.FromSeconds(double.Parse(text[..^1], CultureInfo.InvariantCulture)),
            'm' => TimeSpan.FromMinutes(double.Parse(text[..^1], CultureInfo.InvariantCulture)),
            _ => TimeSpan.FromSeconds(double.Parse(text, CultureInfo.InvariantCulture)),
        };
    }

    /// <summary>The interval as a Go duration, as a Canary's <c>spec.analysis.interval</c> takes it.</summary>
    public string IntervalText => Interval.TotalMilliseconds % 1000 == 0
        ? $"{(long)Interval.TotalSeconds}s"
        : $"{(long)Interval.TotalMilliseconds}ms";
}
