using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Flagger.Cli.Tests.Fixtures;
using Flagger.Model;
using Flagger.Reliability.MalformedInput;
using Flagger.Tests.Model;
using k8s;

namespace Flagger.Cli.Tests;

/// <summary>
/// <c>flagger validate</c>, offline, against the malformed-input corpus: every object is rejected, and each one's lines
/// say what the cluster would: the API server's refusal (its schema) word for word, or else the operator's own
/// <c>Valid=False</c> condition, rebuilt exactly from the lines.
/// </summary>
public sealed partial class ValidateTests
{
    // Condition messages are capped by the operator; events and terminals are read by people.
    private const int OperatorMessageCap = 1024;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Every_malformed_object_is_rejected_with_the_message_the_api_server_or_the_operator_gives()
    {
        await using var cluster = await CliCluster.StartAsync();
        var directory = Directory.CreateTempSubdirectory("flagger-validate-");
        try
        {
            var objects = Corpus().ToList();
            foreach (var (file, json, _) in objects)
            {
                await File.WriteAllTextAsync(Path.Combine(directory.FullName, file), json, Ct);
            }

            // Offline: no kubeconfig at all, the operator's -no-cross-namespace-refs as the cluster runs it.
            var result = await CliProcess.RunFlaggerAsync(null, "validate", "--no-cross-namespace-refs", "-f", directory.FullName);
            Assert.True(result.ExitCode == 1, result.ToString());
            var byFile = result.Lines.Select(Parse).GroupBy(p => p.File).ToDictionary(g => g.Key, g => g.Select(p => p.Problem).ToList());

            var refused = 0;
            var reported = new List<(string File, string Kind, string Name, List<string> Problems)>();
            foreach (var (file, json, field) in objects)
            {
                var path = Path.Combine(directory.FullName, file);
                Assert.True(byFile.TryGetValue(path, out var problems), $"{file}: validate printed nothing for it");
                Assert.True(problems!.Any(p => p.Contains(field, StringComparison.Ordinal)), $"{file}: no line names {field}: {string.Join(" | ", problems!)}");
                try
                {
                    cluster.Cluster.Apply(json, "test");
                    var node = JsonNode.Parse(json)!;
                    reported.Add((file, (string)node["kind"]!, (string)node["metadata"]!["name"]!, problems!));
                }
                catch (InvalidOperationException e)
                {
                    // The API server's words for each field: "<field>: <what is wrong>", joined by ", ".
                    refused++;
                    Assert.All(problems!, p => Assert.True(e.Message.Contains(p, StringComparison.Ordinal), $"{file}: '{p}' is not what the API server said: {e.Message[..Math.Min(600, e.Message.Length)]}"));
                }
            }

            foreach (var (file, kind, name, problems) in reported)
            {
                var condition = await WaitForValidConditionAsync(cluster, kind, name);
                var expected = OperatorMessage(kind, problems);
                Assert.True(condition == expected, $"{file}: the operator said\n  {condition}\nvalidate said\n  {expected}");
            }

            Assert.True(refused >= 10, $"refused by the schema: {refused}");
            Assert.True(reported.Count >= 30, $"reported by the operator: {reported.Count}");
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task The_walkthroughs_manifests_are_valid_and_a_yaml_stream_is_read_document_by_document()
    {
        var valid = await CliProcess.RunFlaggerAsync(null, "validate", "-f", Path.Combine(Repository.Root, "deploy/artifacts"));
        Assert.True(valid.ExitCode == 0, valid.ToString());
        Assert.Empty(valid.Output);
        Assert.Matches(@"^\d+ flagger.app objects? valid$", valid.Error.Trim());

        const string Stream = """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: ignored}
            ---
            apiVersion: flagger.app/v1beta1
            kind: Canary
            metadata: {name: podinfo, namespace: test}
            spec:
              targetRef: {apiVersion: apps/v1, kind: Deployment, name: podinfo}
              service: {port: 9898}
              analysis: {interval: 1m, threshold: 5, maxWeight: 50, stepWeight: 60}
            ---
            apiVersion: flagger.app/v1beta1
            kind: AlertProvider
            metadata: {name: on-call, namespace: test}
            spec: {type: slack, address: "https://hooks.slack.com/services/x", insecure: yes}
            """;
        var invalid = await CliProcess.RunAsync(CliProcess.Flagger, ["validate", "-f", "-"], stdin: Stream);
        Assert.Equal(1, invalid.ExitCode);
        Assert.Equal(
            [
                "-: Canary test/podinfo: spec.analysis.maxWeight: must be at least stepWeight (60), got 50",
                "-: AlertProvider test/on-call: spec.insecure: unknown field",
            ],
            invalid.Lines);
    }

    [Fact]
    public async Task Validate_without_files_or_with_a_missing_file_is_a_usage_error()
    {
        var none = await CliProcess.RunFlaggerAsync(null, "validate");
        Assert.Equal(2, none.ExitCode);
        Assert.Equal("error: Option '--filename' is required (see 'flagger --help')", none.Error.Trim());

        var missing = await CliProcess.RunFlaggerAsync(null, "validate", "-f", "/nonexistent.yaml");
        Assert.Equal(2, missing.ExitCode);
        Assert.Equal("error: -f /nonexistent.yaml: no such file or directory", missing.Error.Trim());
    }

    /// <summary>Every corpus row as a file: name, JSON, the field its answer must name.</summary>
    private static IEnumerable<(string File, string Json, string Field)> Corpus()
    {
        for (var i = 0; i < MalformedCorpus.BadCanaries.Length; i++)
        {
            var (edit, field) = MalformedCorpus.BadCanaries[i];
            var name = $"bad-{i:00}";
            var good = JsonEdit.Set(JsonEdit.Set(MalformedCorpus.GoodCanary, "metadata.name", $"\"{name}\""), "spec.targetRef.name", "\"bad-target\"");
            yield return ($"canary-{i:00}.json", JsonEdit.Apply(good, edit), field);
        }

        foreach (var (prefix, body, rows) in new[] { ("metrictemplate", MalformedCorpus.Template, MalformedCorpus.BadTemplates), ("alertprovider", MalformedCorpus.Provider, MalformedCorpus.BadProviders) })
        {
            for (var i = 0; i < rows.Length; i++)
            {
                var name = $"bad-{prefix[..6]}-{i:00}";
                yield return ($"{prefix}-{i:00}.json", JsonEdit.Apply(JsonEdit.Set(body, "metadata.name", $"\"{name}\""), rows[i].Edit), rows[i].Field);
            }
        }
    }

    // The operator's condition for the problems validate printed: "invalid <kind> spec: a; b", or a line that is already
    // the whole message (an object whose fields cannot be read), capped as the operator caps it.
    private static string OperatorMessage(string kind, List<string> problems)
    {
        var whole = problems.Count == 1 && problems[0].StartsWith($"invalid {kind}: ", StringComparison.Ordinal)
            ? problems[0]
            : $"invalid {(kind == "Canary" ? "canary" : kind)} spec: {string.Join("; ", problems)}";
        return kind != "Canary" && whole.Length > OperatorMessageCap ? string.Concat(whole.AsSpan(0, OperatorMessageCap - 3), "...") : whole;
    }

    private static async Task<string?> WaitForValidConditionAsync(CliCluster cluster, string kind, string name)
    {
        var plural = kind == "Canary" ? "canaries" : kind.ToLowerInvariant() + "s";
        for (var attempt = 0; attempt < 600; attempt++)
        {
            var raw = ((JsonElement)await cluster.Kubernetes.CustomObjects.GetNamespacedCustomObjectAsync("flagger.app", "v1beta1", "test", plural, name, Ct)).GetRawText();
            var conditions = kind switch
            {
                "Canary" => FlaggerJson.ReadCanary(raw).Status?.Conditions,
                "MetricTemplate" => FlaggerJson.ReadMetricTemplate(raw).Status?.Conditions,
                _ => FlaggerJson.ReadAlertProvider(raw).Status?.Conditions,
            };
            if (conditions?.FirstOrDefault(c => c is { Type: CanaryCondition.ValidType, Status: "False" }) is { } valid)
            {
                return valid.Message;
            }

            await Task.Delay(100, Ct);
        }

        return null;
    }

    private static (string File, string Problem) Parse(string line)
    {
        var match = LineShape().Match(line);
        Assert.True(match.Success, $"not a problem line: {line}");
        return (match.Groups["file"].Value, match.Groups["problem"].Value);
    }

    [GeneratedRegex(@"^(?<file>.+?\.json): (?:Canary|MetricTemplate|AlertProvider) \S+: (?<problem>.+)$")]
    private static partial Regex LineShape();
}
