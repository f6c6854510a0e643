using System.Text.Json;

namespace Flagger.Tests.Analysis.Judges;

/// <summary>
/// The outputs of GNU R 4.2.2 that the judges are pinned to (reference-values.json, written by reference-values.R
/// beside it): <c>wilcox.test</c>, the Dirichlet-multinomial count e-values and the CDF band widths.
/// </summary>
internal static class ReferenceValues
{
    private static readonly Lazy<JsonElement> Root = new(() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Analysis", "Judges", "reference-values.json"))).RootElement);

    public static JsonElement Section(string name) => Root.Value.GetProperty(name);

    public static JsonElement Wilcoxon(string id) =>
        Section("wilcoxon").EnumerateArray().Single(e => e.GetProperty("id").GetString() == id);

    public static TheoryData<string> WilcoxonIds()
    {
        var ids = new TheoryData<string>();
        foreach (var row in Section("wilcoxon").EnumerateArray())
        {
            ids.Add(row.GetProperty("id").GetString()!);
        }

        return ids;
    }

    /// <summary>A number as R wrote it: a JSON number, or "Inf" / "-Inf".</summary>
    public static double Number(this JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Number => value.GetDouble(),
        JsonValueKind.String when value.GetString() == "Inf" => double.PositiveInfinity,
        JsonValueKind.String when value.GetString() == "-Inf" => double.NegativeInfinity,
        _ => double.NaN,
    };

    public static double Number(this JsonElement value, string property) => value.GetProperty(property).Number();

    public static double[] Numbers(this JsonElement value, string property) =>
        value.GetProperty(property).EnumerateArray().Select(e => e.Number()).ToArray();

    public static void Close(double expected, double actual, double relative = 1e-9, string? what = null)
    {
        if (double.IsInfinity(expected) || double.IsNaN(expected))
        {
            Assert.Equal(expected, actual);
            return;
        }

        var tolerance = Math.Max(relative * Math.Abs(expected), 1e-12);
        Assert.True(Math.Abs(expected - actual) <= tolerance, $"{what}: expected {expected:R}, got {actual:R} (tolerance {tolerance:G3})");
    }

    public static void Within(double expected, double actual, double absolute, string? what = null) =>
        Assert.True(Math.Abs(expected - actual) <= absolute, $"{what}: expected {expected:R}, got {actual:R} (tolerance {absolute:G3})");
}
