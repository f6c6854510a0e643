using System.Net;
using System.Text;
using System.Text.Json;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Flagger.Testing.Tests;

/// <summary>
/// Metadata-only requests through the real KubernetesClient, as an informer over Secrets or ConfigMaps makes them:
/// the <c>Accept</c> header asks for <c>PartialObjectMetadata</c> (a get or a watch) or
/// <c>PartialObjectMetadataList</c> (a list), and the answer carries each object's metadata and none of its data.
/// The header is negotiated as kube-apiserver negotiates it: the first range that can be served wins, and a header
/// none of whose ranges can be served is a 406.
/// </summary>
public sealed class MetadataOnlyTests
{
    private const string MetadataList = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1";
    private const string MetadataObject = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1";
    private const string Accepted = "only the following media types are accepted: application/json, application/vnd.kubernetes.protobuf";

    private static Dictionary<string, IReadOnlyList<string>> Accept(string value) => new() { ["Accept"] = [value] };

    private static async Task<EmbeddedCluster> WithSecretsAsync(int count, bool crds = false)
    {
        var cluster = await TestCluster.StartAsync(crds: crds);
        using var client = RawReadableClient(cluster);
        await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "meta" } }, cancellationToken: TestCluster.Ct);
        for (var i = 0; i < count; i++)
        {
            await client.CoreV1.CreateNamespacedSecretAsync(Secret($"secret-{i}", $"hunter{i}"), "meta", cancellationToken: TestCluster.Ct);
        }

        return cluster;
    }

    private static V1Secret Secret(string name, string password) => new()
    {
        Metadata = new V1ObjectMeta
        {
            Name = name,
            Labels = new Dictionary<string, string> { ["app"] = "podinfo" },
            Annotations = new Dictionary<string, string> { ["owner"] = "team-a" },
        },
        StringData = new Dictionary<string, string> { ["password"] = password },
    };

    /// <summary>
    /// A client whose responses (but not watch streams) stay readable after the client has read them, so a test can
    /// look at the raw JSON the server sent as well as the typed result.
    /// </summary>
    private static Kubernetes RawReadableClient(EmbeddedCluster cluster) => new(cluster.CreateClientConfiguration(), new BufferingHandler());

    private sealed class BufferingHandler : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken);
            if (request.RequestUri?.Query.Contains("watch=true", StringComparison.Ordinal) != true)
            {
                await response.Content.LoadIntoBufferAsync(cancellationToken);
            }

            return response;
        }
    }

    private static async Task<JsonElement> BodyAsync(HttpOperationResponse response) =>
        JsonDocument.Parse(await response.Response.Content.ReadAsStringAsync(TestCluster.Ct)).RootElement.Clone();

    /// <summary>The property names of an object in a raw body, so a test can say which are absent.</summary>
    private static string[] Keys(JsonElement obj) => [.. obj.EnumerateObject().Select(p => p.Name)];

    [Fact]
    public async Task A_metadata_list_carries_each_objects_metadata_and_none_of_its_data()
    {
        await using var cluster = await WithSecretsAsync(3);
        using var client = RawReadableClient(cluster);

        using var response = await client.CoreV1.ListNamespacedSecretWithHttpMessagesAsync("meta", customHeaders: Accept(MetadataList), cancellationToken: TestCluster.Ct);

        var raw = await response.Response.Content.ReadAsStringAsync(TestCluster.Ct);
        Assert.DoesNotContain("\"data\"", raw, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToBase64String(Encoding.UTF8.GetBytes("hunter1")), raw, StringComparison.Ordinal);
        var list = KubernetesJson.Deserialize<V1SecretList>(raw);
        Assert.Equal("PartialObjectMetadataList", list.Kind);
        Assert.Equal("meta.k8s.io/v1", list.ApiVersion);
        Assert.False(string.IsNullOrEmpty(list.Metadata.ResourceVersion));
        Assert.Equal(["secret-0", "secret-1", "secret-2"], list.Items.Select(i => i.Metadata.Name));
        Assert.All(list.Items, item =>
        {
            Assert.Equal("PartialObjectMetadata", item.Kind);
            Assert.Equal("meta.k8s.io/v1", item.ApiVersion);
            Assert.Equal("meta", item.Metadata.NamespaceProperty);
            Assert.False(string.IsNullOrEmpty(item.Metadata.ResourceVersion));
            Assert.False(string.IsNullOrEmpty(item.Metadata.Uid));
            Assert.Equal("podinfo", item.Metadata.Labels["app"]);
            Assert.Equal("team-a", item.Metadata.Annotations["owner"]);
        });
        foreach (var item in JsonDocument.Parse(raw).RootElement.GetProperty("items").EnumerateArray())
        {
            Assert.Equal(["kind", "apiVersion", "metadata"], Keys(item));
        }

        // The typed client reads the same body as a SecretList whose items have no data.
        Assert.All(response.Body.Items, s => Assert.Null(s.Data));
        Assert.All(list.Items, s => Assert.Null(s.Type));
    }

    [Fact]
    public async Task Metadata_lists_page_with_limit_and_continue_at_one_resource_version()
    {
        await using var cluster = await WithSecretsAsync(5);
        using var client = RawReadableClient(cluster);

        var pages = new List<V1SecretList>();
        string? next = null;
        do
        {
            using var response = await client.CoreV1.ListNamespacedSecretWithHttpMessagesAsync("meta", continueParameter: next, limit: 2, customHeaders: Accept(MetadataList), cancellationToken: TestCluster.Ct);
            var page = KubernetesJson.Deserialize<V1SecretList>(await response.Response.Content.ReadAsStringAsync(TestCluster.Ct));
            pages.Add(page);
            next = page.Metadata.ContinueProperty;
            if (pages.Count == 1)
            {
                // Written after the first page: not seen by the pages that follow, as for a normal list.
                await client.CoreV1.CreateNamespacedSecretAsync(Secret("secret-2a", "late"), "meta", cancellationToken: TestCluster.Ct);
            }
        }
        while (next is not null);

        Assert.Equal(3, pages.Count);
        Assert.Equal(["secret-0", "secret-1", "secret-2", "secret-3", "secret-4"], pages.SelectMany(p => p.Items).Select(i => i.Metadata.Name));
        Assert.All(pages.SelectMany(p => p.Items), i => Assert.Equal("PartialObjectMetadata", i.Kind));
        Assert.Equal(3, pages[0].Metadata.RemainingItemCount);
        Assert.Equal(1, pages[1].Metadata.RemainingItemCount);
        Assert.Null(pages[2].Metadata.RemainingItemCount);
        Assert.Single(pages.Select(p => p.Metadata.ResourceVersion).Distinct());
    }

    [Fact]
    public async Task A_metadata_get_returns_PartialObjectMetadata_for_built_in_and_custom_resources()
    {
        await using var cluster = await WithSecretsAsync(1, crds: true);
        using var client = RawReadableClient(cluster);
        await client.CustomObjects.CreateNamespacedCustomObjectAsync(
            new { apiVersion = "flagger.app/v1beta1", kind = "MetricTemplate", metadata = new { name = "errors", labels = new { app = "podinfo" } }, spec = new { provider = new { type = "prometheus", address = "http://prometheus:9090" }, query = "up" } },
            "flagger.app", "v1beta1", "meta", "metrictemplates", cancellationToken: TestCluster.Ct);

        using var secret = await client.CoreV1.ReadNamespacedSecretWithHttpMessagesAsync("secret-0", "meta", customHeaders: Accept(MetadataObject), cancellationToken: TestCluster.Ct);
        using var template = await client.CustomObjects.GetNamespacedCustomObjectWithHttpMessagesAsync("flagger.app", "v1beta1", "meta", "metrictemplates", "errors", customHeaders: Accept(MetadataObject), cancellationToken: TestCluster.Ct);
        using var templates = await client.CustomObjects.ListNamespacedCustomObjectWithHttpMessagesAsync("flagger.app", "v1beta1", "meta", "metrictemplates", customHeaders: Accept(MetadataList), cancellationToken: TestCluster.Ct);

        var one = await BodyAsync(secret);
        Assert.Equal(["kind", "apiVersion", "metadata"], Keys(one));
        Assert.Equal("PartialObjectMetadata", one.GetProperty("kind").GetString());
        Assert.Equal("secret-0", one.GetProperty("metadata").GetProperty("name").GetString());
        Assert.Equal("team-a", one.GetProperty("metadata").GetProperty("annotations").GetProperty("owner").GetString());
        Assert.Null(secret.Body.Data);
        var custom = await BodyAsync(template);
        Assert.Equal(["kind", "apiVersion", "metadata"], Keys(custom));
        Assert.Equal("meta.k8s.io/v1", custom.GetProperty("apiVersion").GetString());
        Assert.Equal("podinfo", custom.GetProperty("metadata").GetProperty("labels").GetProperty("app").GetString());
        var customList = await BodyAsync(templates);
        Assert.Equal("PartialObjectMetadataList", customList.GetProperty("kind").GetString());
        Assert.Equal(["kind", "apiVersion", "metadata"], Keys(customList.GetProperty("items")[0]));
    }

    [Fact]
    public async Task A_metadata_watch_sends_added_modified_deleted_and_bookmarks_as_PartialObjectMetadata()
    {
        await using var cluster = await WithSecretsAsync(1);
        using var client = RawReadableClient(cluster);
        var seen = new List<(WatchEventType Type, V1Secret Object)>();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestCluster.Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(20));

        // The initial events end with a bookmark (sendInitialEvents), so a bookmark arrives without waiting on a timer.
        var response = client.CoreV1.ListNamespacedSecretWithHttpMessagesAsync("meta", allowWatchBookmarks: true, resourceVersionMatch: "NotOlderThan", sendInitialEvents: true, watch: true,
            customHeaders: Accept(MetadataObject), cancellationToken: timeout.Token);
        // KubernetesClient has no PartialObjectMetadata model (its models come from the OpenAPI document, which has
        // none), so each event is read as a Secret, as the operator's cache reads it: a "data" key would fill Data.
#pragma warning disable CS0618 // WatchAsync over a ...WithHttpMessagesAsync response is marked obsolete in favour of the typed WatchList methods, which cannot set the Accept header a metadata-only watch needs.
        var stream = response.WatchAsync<V1Secret, V1SecretList>(onError: e => Assert.Fail(e.ToString()), cancellationToken: timeout.Token);
#pragma warning restore CS0618
        var collecting = Task.Run(async () =>
        {
            await foreach (var (type, obj) in stream)
            {
                seen.Add((type, obj));
                if (seen.Count == 5)
                {
                    break;
                }
            }
        }, timeout.Token);
        await WatchTests.WaitForWatchAsync(cluster);
        await client.CoreV1.CreateNamespacedSecretAsync(Secret("secret-new", "s3cret"), "meta", cancellationToken: TestCluster.Ct);
        await client.CoreV1.PatchNamespacedSecretAsync(new V1Patch("""{"metadata":{"labels":{"tier":"db"}},"stringData":{"password":"changed"}}""", V1Patch.PatchType.MergePatch), "secret-new", "meta", cancellationToken: TestCluster.Ct);
        await client.CoreV1.DeleteNamespacedSecretAsync("secret-new", "meta", cancellationToken: TestCluster.Ct);
        await collecting;

        Assert.Equal(
            [(WatchEventType.Added, "secret-0"), (WatchEventType.Bookmark, (string?)null), (WatchEventType.Added, "secret-new"), (WatchEventType.Modified, "secret-new"), (WatchEventType.Deleted, "secret-new")],
            seen.Select(e => (e.Type, (string?)e.Object.Metadata.Name)));
        Assert.All(seen, e => Assert.Equal(("PartialObjectMetadata", "meta.k8s.io/v1"), (e.Object.Kind, e.Object.ApiVersion)));
        Assert.All(seen, e => Assert.Null(e.Object.Data));
        Assert.False(string.IsNullOrEmpty(seen[1].Object.Metadata.ResourceVersion));
        Assert.Equal("true", seen[1].Object.Metadata.Annotations["k8s.io/initial-events-end"]);
        Assert.Equal("db", seen[3].Object.Metadata.Labels["tier"]);
    }

    [Fact]
    public async Task Raw_metadata_watch_lines_have_no_data_and_an_error_event_keeps_its_Status()
    {
        await using var cluster = await WithSecretsAsync(2);
        using var http = new HttpClient { BaseAddress = cluster.BaseAddress };

        var lines = await WatchLinesAsync(http, "/api/v1/namespaces/meta/secrets?watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true", 3);
        Assert.Equal(["ADDED", "ADDED", "BOOKMARK"], lines.Select(l => l.GetProperty("type").GetString()));
        Assert.All(lines, l => Assert.Equal(["kind", "apiVersion", "metadata"], Keys(l.GetProperty("object"))));
        Assert.All(lines, l => Assert.Equal("PartialObjectMetadata", l.GetProperty("object").GetProperty("kind").GetString()));

        // A watch from a version the server no longer keeps: the 410 arrives as an ERROR event whose object is a Status.
        cluster.CompactWatchHistory();
        var error = Assert.Single(await WatchLinesAsync(http, "/api/v1/namespaces/meta/secrets?watch=true&resourceVersion=1", 1));
        Assert.Equal("ERROR", error.GetProperty("type").GetString());
        Assert.Equal("Status", error.GetProperty("object").GetProperty("kind").GetString());
        Assert.Equal(410, error.GetProperty("object").GetProperty("code").GetInt32());
    }

    [Fact]
    public async Task A_watch_that_asks_for_the_list_form_gets_whole_objects_as_from_kube_apiserver()
    {
        // kube-apiserver's watch encoder cannot turn one object into a PartialObjectMetadataList; it logs that and
        // sends the object as it is. A client must ask a watch for PartialObjectMetadata.
        await using var cluster = await WithSecretsAsync(1);
        using var http = new HttpClient { BaseAddress = cluster.BaseAddress };

        var added = Assert.Single(await WatchLinesAsync(http, "/api/v1/namespaces/meta/secrets?watch=true", 1, MetadataList));

        Assert.Equal("Secret", added.GetProperty("object").GetProperty("kind").GetString());
        Assert.True(added.GetProperty("object").TryGetProperty("data", out _));
    }

    private static async Task<List<JsonElement>> WatchLinesAsync(HttpClient http, string pathAndQuery, int count, string accept = MetadataObject)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, pathAndQuery);
        request.Headers.TryAddWithoutValidation("Accept", accept);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestCluster.Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(20));
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(timeout.Token));
        var lines = new List<JsonElement>();
        while (lines.Count < count && await reader.ReadLineAsync(timeout.Token) is { } line)
        {
            lines.Add(JsonDocument.Parse(line).RootElement.Clone());
        }

        return lines;
    }

    [Theory]
    [InlineData(MetadataList + ",application/json", "PartialObjectMetadataList")]
    // client-go's metadata client: a protobuf range first, then the same form in JSON, then plain JSON.
    [InlineData("application/vnd.kubernetes.protobuf;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1," + MetadataList + ",application/json", "PartialObjectMetadataList")]
    [InlineData("application/json;as=Unknown;g=meta.k8s.io;v=v1,application/json", "SecretList")]
    [InlineData("application/json;as=PartialObjectMetadataList;g=example.com;v=v1,application/json", "SecretList")]
    [InlineData("application/json;q=0.5," + MetadataList, "PartialObjectMetadataList")]
    [InlineData("*/*;q=0.9,application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1beta1", "PartialObjectMetadataList")]
    [InlineData("application/yaml,*/*", "SecretList")]
    [InlineData("application/*", "SecretList")]
    public async Task A_list_takes_the_first_range_it_can_serve(string accept, string kind)
    {
        await using var cluster = await WithSecretsAsync(1);
        using var client = RawReadableClient(cluster);

        using var response = await client.CoreV1.ListNamespacedSecretWithHttpMessagesAsync("meta", customHeaders: Accept(accept), cancellationToken: TestCluster.Ct);

        var body = await BodyAsync(response);
        Assert.Equal(kind, body.GetProperty("kind").GetString());
        Assert.Equal(kind == "SecretList", body.GetProperty("items")[0].TryGetProperty("data", out _));
    }

    [Theory]
    [InlineData("application/yaml")]
    [InlineData("text/html")]
    [InlineData("application/json;as=Table;g=example.com;v=v1")]
    [InlineData("application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v2")]
    [InlineData("application/json;stream=events")]
    // A Table is served in JSON only.
    [InlineData("application/vnd.kubernetes.protobuf;as=Table;g=meta.k8s.io;v=v1")]
    public async Task An_Accept_no_range_of_which_can_be_served_is_406_naming_what_is_accepted(string accept)
    {
        await using var cluster = await WithSecretsAsync(1);
        using var client = RawReadableClient(cluster);

        var list = await TestCluster.FailureAsync(() => client.CoreV1.ListNamespacedSecretWithHttpMessagesAsync("meta", customHeaders: Accept(accept), cancellationToken: TestCluster.Ct));
        var get = await TestCluster.FailureAsync(() => client.CoreV1.ReadNamespacedSecretWithHttpMessagesAsync("secret-0", "meta", customHeaders: Accept(accept), cancellationToken: TestCluster.Ct));
        var watch = await TestCluster.FailureAsync(() => client.CoreV1.ListNamespacedSecretWithHttpMessagesAsync("meta", watch: true, customHeaders: Accept(accept), cancellationToken: TestCluster.Ct));

        Assert.Equal(0, cluster.ActiveWatches);
        Assert.All(new[] { list, get, watch }, status => Assert.Equal((406, "NotAcceptable", Accepted), (status.Code, status.Reason, status.Message)));
    }

    [Fact]
    public async Task The_single_form_on_a_list_and_the_list_form_on_a_get_are_406_as_kube_apiserver_answers()
    {
        await using var cluster = await WithSecretsAsync(1);
        using var client = RawReadableClient(cluster);

        var list = await TestCluster.FailureAsync(() => client.CoreV1.ListNamespacedSecretWithHttpMessagesAsync("meta", customHeaders: Accept(MetadataObject), cancellationToken: TestCluster.Ct));
        var get = await TestCluster.FailureAsync(() => client.CoreV1.ReadNamespacedSecretWithHttpMessagesAsync("secret-0", "meta", customHeaders: Accept(MetadataList), cancellationToken: TestCluster.Ct));

        Assert.Equal((406, "NotAcceptable"), (list.Code, list.Reason));
        Assert.Equal("you requested PartialObjectMetadata, but the requested object is a list (SecretList)", list.Message);
        Assert.Equal((406, "NotAcceptable"), (get.Code, get.Reason));
        Assert.Equal("you requested PartialObjectMetadataList, but the requested object is not a list (Secret)", get.Message);
    }

    [Fact]
    public async Task Tables_are_still_served_to_kubectl_get_in_v1_and_v1beta1()
    {
        await using var cluster = await WithSecretsAsync(2);
        using var client = RawReadableClient(cluster);
        const string kubectlGet = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";

        using var v1 = await client.CoreV1.ListNamespacedSecretWithHttpMessagesAsync("meta", customHeaders: Accept(kubectlGet), cancellationToken: TestCluster.Ct);
        using var v1beta1 = await client.CoreV1.ReadNamespacedSecretWithHttpMessagesAsync("secret-1", "meta", customHeaders: Accept("application/json;as=Table;v=v1beta1;g=meta.k8s.io"), cancellationToken: TestCluster.Ct);

        var table = await BodyAsync(v1);
        Assert.Equal(("Table", "meta.k8s.io/v1"), (table.GetProperty("kind").GetString(), table.GetProperty("apiVersion").GetString()));
        Assert.Equal(["secret-0", "secret-1"], table.GetProperty("rows").EnumerateArray().Select(r => r.GetProperty("cells")[0].GetString()));
        Assert.Equal("PartialObjectMetadata", table.GetProperty("rows")[0].GetProperty("object").GetProperty("kind").GetString());
        var one = await BodyAsync(v1beta1);
        Assert.Equal(("Table", "meta.k8s.io/v1beta1"), (one.GetProperty("kind").GetString(), one.GetProperty("apiVersion").GetString()));
        Assert.Equal("secret-1", Assert.Single(one.GetProperty("rows").EnumerateArray()).GetProperty("cells")[0].GetString());

        using var kubectl = new Kubectl(cluster);
        var printed = await kubectl.RunAsync("-n", "meta", "get", "secrets");
        Assert.Matches(@"(?m)^NAME\s+TYPE\s+DATA\s+AGE\s*$", printed);
        Assert.Matches(@"(?m)^secret-0\s+Opaque\s+1\s+", printed);
        Assert.Matches(@"(?m)^secret-1\s+Opaque\s+1\s+", printed);
    }

    [Fact]
    public async Task Fault_rules_and_request_hooks_see_which_form_a_client_asked_for()
    {
        await using var cluster = await WithSecretsAsync(1);
        using var client = RawReadableClient(cluster);
        var accepts = new List<string?>();
        cluster.Faults.FailRequests(1.0, 503, r =>
        {
            if (r.Resource == "secrets")
            {
                lock (accepts)
                {
                    accepts.Add(r.Accept);
                }
            }

            return r.Accept?.Contains("as=PartialObjectMetadataList", StringComparison.Ordinal) == true;
        });

        var metadata = await TestCluster.StatusOfAsync(() => client.CoreV1.ListNamespacedSecretWithHttpMessagesAsync("meta", customHeaders: Accept(MetadataList), cancellationToken: TestCluster.Ct));
        using var plain = await client.CoreV1.ListNamespacedSecretWithHttpMessagesAsync("meta", cancellationToken: TestCluster.Ct);

        Assert.Equal(503, metadata);
        Assert.Equal("hunter0", Encoding.UTF8.GetString(Assert.Single(plain.Body.Items).Data["password"]));
        Assert.Equal(2, accepts.Count);
        Assert.Equal(MetadataList, accepts[0]);
        Assert.DoesNotContain("as=", accepts[1] ?? "", StringComparison.Ordinal);
        Assert.Equal(2, cluster.Requests.Count("list", "secrets"));
    }
}
