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
