using ScottPlot;

namespace Flagger.Accuracy;

/// <summary>The figures of bench/ACCURACY.md as PNG bar charts: one bar per judge at each traffic level.</summary>
internal static class Plots
{
    /// <summary>Writes one chart.</summary>
    /// <param name="path">The PNG to write.</param>
    /// <param name="title">The chart's title.</param>
    /// <param name="unit">The value axis' label.</param>
    /// <param name="judges">The judges, in legend order.</param>
    /// <param name="traffic">The traffic levels (requests/s), the groups.</param>
    /// <param name="values">values[judge][traffic]; NaN draws no bar (nothing to measure, such as no detection).</param>
    public static void Write(string path, string title, string unit, IReadOnlyList<string> judges, IReadOnlyList<double> traffic, double[][] values)
    {
        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        var width = 0.8 / judges.Count;
        for (var j = 0; j < judges.Count; j++)
        {
            var bars = new List<Bar>();
            for (var t = 0; t < traffic.Count; t++)
            {
                if (double.IsFinite(values[j][t]))
                {
                    bars.Add(new Bar { Position = t - 0.4 + (width * (j + 0.5)), Value = values[j][t], Size = width, FillColor = palette.GetColor(j) });
                }
            }

            var series = plot.Add.Bars(bars);
            series.LegendText = judges[j];
            series.Color = palette.GetColor(j);
        }

        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            [.. Enumerable.Range(0, traffic.Count).Select(t => (double)t)],
            [.. traffic.Select(r => r.ToString(System.Globalization.CultureInfo.InvariantCulture))]);
        plot.Axes.Margins(bottom: 0);
        plot.Title(title);
        plot.XLabel("requests/s in total");
        plot.YLabel(unit);
        plot.ShowLegend(Alignment.UpperLeft);
        plot.SavePng(path, 1000, 520);
    }
}
