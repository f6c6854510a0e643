using Flagger.Hosting.Flags;

namespace Flagger.Samples;

/// <summary>The README is what a newcomer reads first: it must name every flag the operator accepts.</summary>
public sealed class ReadmeTests
{
    private static readonly string Readme = File.ReadAllText(Path.Combine(RepositoryRoot(), "README.md"));

    [Fact]
    public void Every_operator_flag_is_documented()
    {
        var table = Readme[Readme.IndexOf("## Command-line flags", StringComparison.Ordinal)..];
        var missing = FlaggerFlags.Known.Keys.Where(flag => !table.Contains($"`-{flag}`", StringComparison.Ordinal)).ToList();

        Assert.True(missing.Count == 0, $"README.md's flag table lacks: {string.Join(", ", missing)}");
    }

    [Fact]
    public void The_set_up_commands_are_the_two_the_guide_promises()
    {
        Assert.Contains("dotnet run --project samples/Flagger.Demo", Readme, StringComparison.Ordinal);
        Assert.Contains("\ndotnet test\n", Readme, StringComparison.Ordinal);
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Flagger.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"no Flagger.slnx above {AppContext.BaseDirectory}");
    }
}
