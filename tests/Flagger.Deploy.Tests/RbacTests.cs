using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Flagger.Deploy.Tests;

/// <summary>
/// One set of permissions, written in four places: the table in docs/security.md (the review), the table in
/// src/Flagger.Kubernetes/README.md (what the Kubernetes adapters call), deploy/kustomize and the Helm chart.
/// </summary>
public sealed partial class RbacTests
{
    private static readonly HashSet<string> Reviewed = Table(Repo.Read("docs/security.md"));

    [Fact]
    public void The_review_covers_every_permission_the_kubernetes_adapters_document()
    {
        var documented = Table(Repo.Read("src/Flagger.Kubernetes/README.md"));

        Assert.True(documented.Count > 40, $"only {documented.Count} permissions read from the README's RBAC table");
        Assert.Empty(documented.Except(Reviewed));
    }

    [Fact]
    public async Task The_kustomize_base_grants_exactly_the_reviewed_permissions()
    {
        var objects = Yaml.Documents(await Tool.RunAsync("kubectl", "kustomize", "deploy/kustomize"));
        var granted = Permissions(objects.OfKind("ClusterRole", "flagger")["rules"]!.AsArray())
            .Concat(Permissions(objects.OfKind("Role", "flagger-leader-election")["rules"]!.AsArray()));

        Assert.Equal(Reviewed.Order(StringComparer.Ordinal), granted.Distinct().Order(StringComparer.Ordinal));
    }

    [Fact]
    public void The_chart_grants_exactly_the_reviewed_permissions()
    {
        var rules = Yaml.Documents("rules:\n" + Indent(ChartTemplates.Define("flagger.rules")))[0]["rules"]!.AsArray();
        var lease = ChartTemplates.Render("leader-election-rbac.yaml").OfKind("Role", $"{ChartTemplates.Placeholder}-leader-election");
        var granted = Permissions(rules).Concat(Permissions(lease["rules"]!.AsArray()));

        Assert.Equal(Reviewed.Order(StringComparer.Ordinal), granted.Distinct().Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_namespace_scoped_chart_grants_nothing_cluster_wide()
    {
        var rbac = ChartTemplates.Render("rbac.yaml");

        // Both branches of the namespace "if" are rendered: the Role branch binds a Role, and the only ClusterRole is
        // the all-namespaces branch's own (the Istio cache watches -namespace only, so no cluster-wide read remains).
        Assert.Equal("Role", rbac.Single(o => o["kind"].Text() == "RoleBinding")["roleRef"]!["kind"].Text());
        Assert.Equal([ChartTemplates.Placeholder], rbac.Where(o => o["kind"].Text() == "ClusterRole").Select(o => o["metadata"]!["name"].Text()));
    }

    [Fact]
    public void Nothing_is_ever_deleted()
    {
        Assert.DoesNotContain(Reviewed, p => p.EndsWith(":delete", StringComparison.Ordinal) || p.EndsWith(":deletecollection", StringComparison.Ordinal) || p.Contains('*', StringComparison.Ordinal));
    }

    /// <summary>"group/resource:verb" for each row of the first Markdown table under "## RBAC".</summary>
    private static HashSet<string> Table(string markdown)
    {
        var section = markdown[markdown.IndexOf("## RBAC", StringComparison.Ordinal)..];
        var rows = section.Split('\n').SkipWhile(l => !l.StartsWith('|')).TakeWhile(l => l.StartsWith('|')).Skip(2);
        return [.. rows.SelectMany(row =>
        {
            var cells = row.Split('|');
            var group = Code().Match(cells[1]).Groups["text"].Value.Trim('"');
            var resources = Code().Matches(cells[2]).Select(m => m.Groups["text"].Value);
            var verbs = cells[3].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            return from resource in resources from verb in verbs select $"{group}/{resource}:{verb}";
        })];
    }

    private static IEnumerable<string> Permissions(JsonArray rules) =>
        from rule in rules
        from g in rule!["apiGroups"]!.AsArray()
        from r in rule["resources"]!.AsArray()
        from v in rule["verbs"]!.AsArray()
        select $"{g?.GetValue<string>() ?? string.Empty}/{r.Text()}:{v.Text()}";

    private static string Indent(string yaml) => string.Join('\n', yaml.Split('\n').Select(l => "  " + l));

    [GeneratedRegex("`(?<text>[^`]*)`")]
    private static partial Regex Code();
}
