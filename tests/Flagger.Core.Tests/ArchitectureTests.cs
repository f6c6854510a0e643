using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;
using Flagger.Analysis;

namespace Flagger;

/// <summary>Flagger.Core stays pure: no Kubernetes client, no HTTP, no wall clock.</summary>
public sealed class ArchitectureTests
{
    private static readonly string CorePath = typeof(CanaryEngine).Assembly.Location;

    [Theory]
    [InlineData("KubernetesClient")]
    [InlineData("System.Net.Http")]
    [InlineData("Microsoft.AspNetCore")]
    public void Core_does_not_reference(string assembly) =>
        Assert.DoesNotContain(typeof(CanaryEngine).Assembly.GetReferencedAssemblies(), a => a.Name!.StartsWith(assembly, StringComparison.Ordinal));

    [Theory]
    [InlineData("System.DateTime", "get_Now")]
    [InlineData("System.DateTime", "get_UtcNow")]
    [InlineData("System.DateTimeOffset", "get_Now")]
    [InlineData("System.DateTimeOffset", "get_UtcNow")]
    [InlineData("System.Net.Http.HttpClient", ".ctor")]
    [InlineData("System.Threading.Thread", "Sleep")]
    public void Core_never_calls(string type, string member) =>
        Assert.DoesNotContain($"{type}::{member}", MemberReferences());

    [Fact]
    public void Member_reference_scan_sees_the_calls_core_does_make() =>
        Assert.Contains("System.TimeProvider::GetUtcNow", MemberReferences());

    // Mesh behaviour is data on a router's registration (RouterCapabilities); the names users write in
    // spec.provider belong to the provider packages that register them.
    [Theory]
    [InlineData("istio")]
    [InlineData("kubernetes")]
    [InlineData("linkerd")]
    [InlineData("appmesh")]
    [InlineData("gatewayapi")]
    [InlineData("gatewayapi:v1")]
    [InlineData("contour")]
    [InlineData("nginx")]
    [InlineData("gloo")]
    [InlineData("skipper")]
    [InlineData("traefik")]
    [InlineData("kuma")]
    [InlineData("osm")]
    [InlineData("apisix")]
    [InlineData("knative")]
    public void Core_holds_no_mesh_provider_name(string provider) =>
        Assert.DoesNotContain(provider, StringLiterals());

    [Fact]
    public void String_literal_scan_sees_the_literals_core_does_hold() =>
        Assert.Contains("Promoted", StringLiterals());

    private static HashSet<string> StringLiterals()
    {
        using var stream = File.OpenRead(CorePath);
        using var pe = new PEReader(stream);
        var reader = pe.GetMetadataReader();
        var literals = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var handle = MetadataTokens.UserStringHandle(1); !handle.IsNil; handle = reader.GetNextHandle(handle))
        {
            literals.Add(reader.GetUserString(handle));
        }

        return literals;
    }

    // Not steps of a tick: the engine's public surface (options in, report out), the reference monitor's own check,
    // and the judges' statistics in Judges/ (a library the comparison decision calls, tested against R's values).
    private static readonly string[] NotOnTheTickPath = ["EngineOptions.cs", "TickReport.cs", "ReferenceMonitor.cs", "ResourceValidity.cs"];

    [Fact]
    public void The_path_of_a_tick_reads_in_six_files()
    {
        var files = TickPathSourceFiles();

        Assert.Contains(files, f => f.EndsWith("CanaryEngine.cs", StringComparison.Ordinal));
        Assert.Contains(files, f => f.EndsWith("TickDecisions.cs", StringComparison.Ordinal));
        Assert.True(files.Count <= 6, $"a tick reads in {files.Count} files: {string.Join(", ", files)}");
    }

    // The source files of every method of the engine's own types, from the portable PDB beside Flagger.Core.dll.
    private static SortedSet<string> TickPathSourceFiles()
    {
        using var stream = File.OpenRead(CorePath);
        using var pe = new PEReader(stream);
        var reader = pe.GetMetadataReader();
        using var pdbStream = File.OpenRead(Path.ChangeExtension(CorePath, ".pdb"));
        using var pdbProvider = MetadataReaderProvider.FromPortablePdbStream(pdbStream);
        var pdb = pdbProvider.GetMetadataReader();
        var files = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var handle in reader.MethodDefinitions)
        {
            var type = reader.GetTypeDefinition(reader.GetMethodDefinition(handle).GetDeclaringType());
            while (type.GetDeclaringType() is { IsNil: false } outer)
            {
                type = reader.GetTypeDefinition(outer);
            }

            var ns = reader.GetString(type.Namespace);
            if (ns is not ("Flagger.Analysis" or "Flagger.Analysis.Decisions"))
            {
                continue;
            }

            var document = pdb.GetMethodDebugInformation(handle.ToDebugInformationHandle()).Document;
            if (document.IsNil)
            {
                continue;
            }

            // Source-generated logging methods live under obj/, not in a file anyone reads.
            var path = pdb.GetString(pdb.GetDocument(document).Name).Replace('\\', '/');
            var at = path.IndexOf("src/Flagger.Core/", StringComparison.Ordinal);
            if (at >= 0 && !path.Contains("/obj/", StringComparison.Ordinal) && !NotOnTheTickPath.Contains(Path.GetFileName(path)))
            {
                files.Add(path[at..]);
            }
        }

        return files;
    }

    private static HashSet<string> MemberReferences()
    {
        using var stream = File.OpenRead(CorePath);
        using var pe = new PEReader(stream);
        var reader = pe.GetMetadataReader();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var handle in reader.MemberReferences)
        {
            var member = reader.GetMemberReference(handle);
            if (member.Parent.Kind == HandleKind.TypeReference)
            {
                var type = reader.GetTypeReference((TypeReferenceHandle)member.Parent);
                names.Add($"{reader.GetString(type.Namespace)}.{reader.GetString(type.Name)}::{reader.GetString(member.Name)}");
            }
        }

        return names;
    }
}
