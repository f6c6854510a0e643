namespace Flagger.Testing.Api;

/// <summary>A resource URL taken apart: <c>/apis/{group}/{version}/namespaces/{ns}/{resource}/{name}/{subresource}</c>.</summary>
internal sealed record RequestPath(string Group, string Version, string? Namespace, string Resource, string? Name, string? Subresource, bool LegacyWatch)
{
    /// <summary>Parses a resource path; null for anything that is not one (discovery, openapi, version).</summary>
    public static RequestPath? Parse(string path)
    {
        var s = path.Trim('/').Split('/', StringSplitOptions.RemoveEmptyEntries);
        string group;
        string version;
        string[] rest;
        if (s.Length >= 3 && s[0] == "api")
        {
            (group, version, rest) = ("", s[1], s[2..]);
        }
        else if (s.Length >= 4 && s[0] == "apis")
        {
            (group, version, rest) = (s[1], s[2], s[3..]);
        }
        else
        {
            return null;
        }

        var watch = false;
        if (rest.Length > 0 && rest[0] == "watch")
        {
            watch = true;
            rest = rest[1..];
        }

        string? ns = null;
        if (rest.Length >= 3 && rest[0] == "namespaces" && !(rest.Length == 3 && rest[2] is "status" or "finalize"))
        {
            ns = rest[1];
            rest = rest[2..];
        }

        if (rest.Length is 0 or > 3)
        {
            return null;
        }

        return new RequestPath(group, version, ns, rest[0], rest.Length > 1 ? rest[1] : null, rest.Length > 2 ? rest[2] : null, watch);
    }
}
