using System.Text.Json.Nodes;

namespace Flagger.Testing.Api;

/// <summary>An error the API server answers with a <c>Status</c> object, exactly as kube-apiserver would.</summary>
internal sealed class ApiException(int code, string reason, string message, JsonObject? details = null) : Exception(message)
{
    public int Code { get; } = code;

    public string Reason { get; } = reason;

    public JsonObject? Details { get; } = details;

    public JsonObject ToStatus() => Status(Code, Reason, Message, Details?.DeepClone());

    internal static JsonObject Status(int code, string reason, string message, JsonNode? details = null)
    {
        var status = new JsonObject
        {
            ["kind"] = "Status",
            ["apiVersion"] = "v1",
            ["metadata"] = new JsonObject(),
            ["status"] = "Failure",
            ["message"] = message,
            ["reason"] = reason,
        };
        if (details is not null)
        {
            status["details"] = details;
        }

        status["code"] = code;
        return status;
    }

    internal static ApiException NotFound(string resource, string group, string name) =>
        new(404, "NotFound", $"{Qualified(resource, group)} \"{name}\" not found", DetailsFor(resource, group, name));

    internal static ApiException AlreadyExists(string resource, string group, string name) =>
        new(409, "AlreadyExists", $"{Qualified(resource, group)} \"{name}\" already exists", DetailsFor(resource, group, name));

    internal static ApiException Conflict(string resource, string group, string name) =>
        new(409, "Conflict",
            $"Operation cannot be fulfilled on {Qualified(resource, group)} \"{name}\": the object has been modified; please apply your changes to the latest version and try again",
            DetailsFor(resource, group, name));

    internal static ApiException Invalid(string kind, string group, string name, IReadOnlyList<(string Field, string Message)> causes)
    {
        var details = new JsonObject { ["name"] = name, ["group"] = group, ["kind"] = kind };
        var list = new JsonArray();
        foreach (var (field, message) in causes)
        {
            list.Add(new JsonObject { ["reason"] = "FieldValueInvalid", ["message"] = message, ["field"] = field });
        }

        details["causes"] = list;
        var text = string.Join(", ", causes.Select(c => $"{c.Field}: {c.Message}"));
        var qualified = group.Length == 0 ? kind : $"{kind}.{group}";
        return new ApiException(422, "Invalid", $"{qualified} \"{name}\" is invalid: {text}", details);
    }

    internal static ApiException BadRequest(string message) => new(400, "BadRequest", message);

    internal static ApiException Gone(string message) => new(410, "Expired", message);

    internal static ApiException MethodNotAllowed(string message) => new(405, "MethodNotAllowed", message);

    internal static ApiException UnsupportedMediaType(string contentType) =>
        new(415, "UnsupportedMediaType", $"the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json ({contentType})");

    internal static ApiException NotFoundPath() => new(404, "NotFound", "the server could not find the requested resource");

    private static string Qualified(string resource, string group) => group.Length == 0 ? resource : $"{resource}.{group}";

    private static JsonObject DetailsFor(string resource, string group, string name)
    {
        var details = new JsonObject { ["name"] = name };
        if (group.Length > 0)
        {
            details["group"] = group;
        }

        details["kind"] = resource;
        return details;
    }
}
