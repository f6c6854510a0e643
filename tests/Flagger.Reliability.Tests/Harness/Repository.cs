namespace Flagger.Reliability.Harness;

/// <summary>The repository's root, for the walkthrough's manifests under <c>deploy/</c>.</summary>
internal static class Repository
{
    /// <summary>The directory holding Flagger.slnx above the test binaries.</summary>
    public static readonly string Root = Find();

    private static string Find()
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
