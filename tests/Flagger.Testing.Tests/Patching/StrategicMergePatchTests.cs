using System.Text.Json.Nodes;
using Flagger.Testing.Patching;

namespace Flagger.Testing.Tests.Patching;

public sealed class StrategicMergePatchTests
{
    private static JsonObject Apply(string target, string patch) =>
        StrategicMergePatch.Apply(JsonNode.Parse(target)!.AsObject(), JsonNode.Parse(patch)!.AsObject());

    [Fact]
    public void Container_ports_merge_by_containerPort_and_service_ports_by_port()
    {
        var pod = Apply(
            """{"containers":[{"name":"a","ports":[{"containerPort":80,"name":"http"}]}]}""",
            """{"containers":[{"name":"a","ports":[{"containerPort":80,"protocol":"TCP"},{"containerPort":90}]}]}""");
        Assert.Equal("""[{"containerPort":80,"name":"http","protocol":"TCP"},{"containerPort":90}]""", pod["containers"]![0]!["ports"]!.ToJsonString());

        var service = Apply("""{"spec":{"ports":[{"port":80,"targetPort":8080}]}}""", """{"spec":{"ports":[{"port":80,"name":"http"}]}}""");
        Assert.Equal("""[{"port":80,"targetPort":8080,"name":"http"}]""", service["spec"]!["ports"]!.ToJsonString());
    }

    [Fact]
    public void Directives_delete_replace_reorder_and_retain()
    {
        var target = """{"env":[{"name":"A","value":"1"},{"name":"B","value":"2"}],"finalizers":["x"],"strategy":{"type":"RollingUpdate","rollingUpdate":{"maxSurge":1}}}""";
        var patched = Apply(target, """
            {
              "$setElementOrder/env":[{"name":"B"},{"name":"A"}],
              "env":[{"name":"A","value":"3"}],
              "finalizers":["y"],
              "strategy":{"$retainKeys":["type"],"type":"Recreate"}
            }
            """);
        Assert.Equal("""[{"name":"B","value":"2"},{"name":"A","value":"3"}]""", patched["env"]!.ToJsonString());
        Assert.Equal("""["x","y"]""", patched["finalizers"]!.ToJsonString());
        Assert.Equal("""{"type":"Recreate"}""", patched["strategy"]!.ToJsonString());

        var replaced = Apply(target, """{"env":[{"$patch":"replace"},{"name":"C","value":"4"}],"$deleteFromPrimitiveList/finalizers":["x"]}""");
        Assert.Equal("""[{"name":"C","value":"4"}]""", replaced["env"]!.ToJsonString());
        Assert.Equal("[]", replaced["finalizers"]!.ToJsonString());
    }

    [Fact]
    public void Lists_without_a_merge_key_are_replaced_and_null_deletes()
    {
        var patched = Apply("""{"args":["a","b"],"image":"x","labels":{"k":"v"}}""", """{"args":["c"],"image":null,"labels":{"k":null,"n":"m"}}""");
        Assert.Equal("""{"args":["c"],"labels":{"n":"m"}}""", patched.ToJsonString());
    }
}
