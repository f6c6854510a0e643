using System.Globalization;

namespace Flagger.Scale;

/// <summary>Memory figures of a process from /proc (Linux): peak and current resident set.</summary>
public static class ProcessStats
{
    /// <summary>Peak resident set (VmHWM) in MB; 0 when /proc is not there.</summary>
    public static double PeakRssMb(int processId) => ReadKb(processId, "VmHWM:") / 1024.0;

    /// <summary>Current resident set (VmRSS) in MB; 0 when /proc is not there.</summary>
    public static double RssMb(int processId) => ReadKb(processId, "VmRSS:") / 1024.0;

    private static long ReadKb(int processId, string field)
    {
        var path = $"/proc/{processId}/status";
        if (!File.Exists(path))
        {
            return 0;
        }

        foreach (var line in File.ReadLines(path))
        {
            if (line.StartsWith(field, StringComparison.Ordinal))
            {
                var parts = line[field.Length..].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
                return long.Parse(parts[0], CultureInfo.InvariantCulture);
            }
        }

        return 0;
    }
}
