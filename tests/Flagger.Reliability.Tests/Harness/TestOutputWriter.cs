using System.Text;

namespace Flagger.Reliability.Harness;

/// <summary>A <see cref="TextWriter"/> onto xunit's test output, so the harness's progress lines show with the test.</summary>
public sealed class TestOutputWriter(ITestOutputHelper output) : TextWriter
{
    /// <inheritdoc />
    public override Encoding Encoding => Encoding.UTF8;

    /// <inheritdoc />
    public override void WriteLine(string? value) => output.WriteLine(value ?? string.Empty);
}
