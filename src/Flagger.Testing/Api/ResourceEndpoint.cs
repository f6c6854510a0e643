using System.Globalization;
using System.Text.Json.Nodes;
using Flagger.Testing.Patching;
using Flagger.Testing.Storage;
using Microsoft.AspNetCore.Http;

namespace Flagger.Testing.Api;

/// <summary>The verbs on one resource URL: get, list, create, update, patch, delete, deletecollection (watch is <see cref="WatchEndpoint"/>).</summary>
internal sealed class ResourceEndpoint(ObjectStore store)
{
    public async Task HandleAsync(HttpContext context, RequestPath path, ResourceType type, string verb, CancellationToken ct)
    {
        var query = context.Request.Query;
        var dryRun = query["dryRun"].ToString() == "All";
        var sub = path.Subresource;
        if ((sub == "status" && !type.HasStatus) || (sub == "scale" && !type.HasScale) || sub is not (null or "status" or "scale"))
        {
            throw ApiException.NotFoundPath();
        }

        if (type.Namespaced && path.Name is not null && path.Namespace is null)
        {
            throw ApiException.NotFoundPath();
        }

        if (!type.Namespaced && path.Namespace is not null)
        {
            throw ApiException.NotFoundPath();
        }

        // Negotiated before anything is read or written, as kube-apiserver does: an Accept no range of which can be
        // served is a 406 whatever the object.
        var form = ResponseForm.Negotiate(context.Request.Headers.Accept);
        var ns = path.Namespace;
        var name = path.Name;
        JsonObject result;
        var status = 200;
        switch (verb)
        {
            case "get":
                var obj = store.Get(type, ns, name!);
                result = sub == "scale" ? Scale.From(obj) : Versioned(type, obj);
                break;
            case "list":
                result = List(context, type, ns);
                break;
            case "create":
                if (sub is not null || name is not null)
                {
                    throw ApiException.MethodNotAllowed("the server does not allow this method on the requested resource");
                }

                var body = await HttpJson.ReadObjectAsync(context, ct).ConfigureAwait(false);
                result = Versioned(type, Guarded(query, () => store.Create(type, ns, body, dryRun)));
                status = 201;
                break;
            case "update":
                var replacement = await HttpJson.ReadObjectAsync(context, ct).ConfigureAwait(false);
                result = sub == "scale"
                    ? Scale.From(store.Patch(type, ns, name!, o => Scale.ApplyTo(o, replacement), statusOnly: false, dryRun))
                    : Versioned(type, Guarded(query, () => store.Update(type, ns, name!, replacement, sub == "status", dryRun)));
                break;
            case "patch":
                result = await PatchAsync(context, type, ns, name!, sub, dryRun, ct).ConfigureAwait(false);
                break;
            case "delete":
                var (propagation, uid, rv) = await DeleteOptionsAsync(context, ct).ConfigureAwait(false);
                result = Versioned(type, store.Delete(type, ns, name!, propagation, uid, rv, dryRun));
                break;
            case "deletecollection":
                var (policy, _, _) = await DeleteOptionsAsync(context, ct).ConfigureAwait(false);
                var deleted = store.DeleteCollection(type, ns, Selector.ParseLabels(query["labelSelector"]), Selector.ParseFields(query["fieldSelector"]), policy, dryRun);
                result = ListOf(type, deleted, store.CurrentResourceVersion.ToString(CultureInfo.InvariantCulture), null);
                break;
            default:
                throw ApiException.MethodNotAllowed($"verb {verb} is not supported");
        }

        var list = verb is "list" or "deletecollection";
        await HttpJson.WriteAsync(context, status, Shape(form, type, result, list, sub, context.Request.Query), ct).ConfigureAwait(false);
    }

    /// <summary>Turns a response into the negotiated form, as kube-apiserver's transformResponseObject does for every verb.</summary>
    private JsonObject Shape(ResponseForm form, ResourceType type, JsonObject result, bool list, string? sub, IQueryCollection query)
    {
        if (Meta.Str(result["kind"]) == "Status")
        {
            return result;
        }

        var includeObject = query["includeObject"] == "Object";
        switch (form.Shape)
        {
            case ResponseShape.Table when sub == "scale":
                return result;
            case ResponseShape.Table when list:
                var metadata = result["metadata"];
                return TableConverter.Convert(type, (result["items"] as JsonArray ?? []).OfType<JsonObject>(), Meta.Str(metadata?["resourceVersion"]),
                    includeObject, store.Time.GetUtcNow(), Meta.Str(metadata?["continue"]), form.ApiVersion);
            case ResponseShape.Table:
                return TableConverter.Convert(type, [result], null, includeObject, store.Time.GetUtcNow(), apiVersion: form.ApiVersion);
            case ResponseShape.PartialObjectMetadata when list:
                throw NotAcceptable($"you requested PartialObjectMetadata, but the requested object is a list ({type.Kind}List)");
            case ResponseShape.PartialObjectMetadata:
                return PartialObjectMetadata.Of(result, form.ApiVersion);
            case ResponseShape.PartialObjectMetadataList when !list:
                throw NotAcceptable($"you requested PartialObjectMetadataList, but the requested object is not a list ({type.Kind})");
            case ResponseShape.PartialObjectMetadataList:
                return PartialObjectMetadata.ListOf(result, form.ApiVersion);
            default:
                return result;
        }
    }

    private static ApiException NotAcceptable(string message) => new(406, "NotAcceptable", message);

    private async Task<JsonObject> PatchAsync(HttpContext context, ResourceType type, string? ns, string name, string? sub, bool dryRun, CancellationToken ct)
    {
        var contentType = (context.Request.ContentType ?? "").Split(';')[0].Trim();
        var patch = await HttpJson.ReadAsync(context, ct).ConfigureAwait(false)
                    ?? throw ApiException.BadRequest("the request body is empty");
        Func<JsonObject, JsonObject> apply = contentType switch
        {
            "application/merge-patch+json" => o => Object(JsonMergePatch.Apply(o, patch)),
            "application/json-patch+json" => o => Object(JsonPatch.Apply(o, patch)),
            "application/apply-patch+yaml" or "application/apply-patch+json" => o => Object(JsonMergePatch.Apply(o, patch)),
            "application/strategic-merge-patch+json" when type.IsCustom =>
                throw new ApiException(415, "UnsupportedMediaType", "strategic merge patch is not supported for custom resources; use a JSON merge patch"),
            "application/strategic-merge-patch+json" => o => StrategicMergePatch.Apply(o, patch as JsonObject ?? throw ApiException.BadRequest("strategic merge patch must be an object")),
            _ => throw ApiException.UnsupportedMediaType(contentType),
        };

        var query = context.Request.Query;
        if (sub == "scale")
        {
            return Scale.From(store.Patch(type, ns, name, o => Scale.ApplyTo(o, Object(apply(Scale.From(o)))), statusOnly: false, dryRun));
        }

        if (contentType.StartsWith("application/apply-patch", StringComparison.Ordinal) && store.TryGet(type, ns, name) is null)
        {
            // Server-side apply of an object that does not exist yet creates it.
            return Versioned(type, Guarded(query, () => store.Create(type, ns, Object(patch.DeepClone()), dryRun)));
        }

        return Versioned(type, Guarded(query, () => store.Patch(type, ns, name, apply, sub == "status", dryRun)));
    }

    private JsonObject List(HttpContext context, ResourceType type, string? ns)
    {
        var query = context.Request.Query;
        var labels = Selector.ParseLabels(query["labelSelector"]);
        var fields = Selector.ParseFields(query["fieldSelector"]);
        List<JsonObject> items;
        long rv;
        string? next = null;
        long? remaining = null;
        string? start = null;
        long? at = null;
        if (query["continue"].ToString() is { Length: > 0 } token)
        {
            (start, at) = ContinueToken.Parse(token);
        }

        var paged = int.TryParse(query["limit"], NumberStyles.Integer, CultureInfo.InvariantCulture, out var limit) && limit > 0;
        if (paged || start is not null)
        {
            // As kube-apiserver pages from etcd: key order, every page read at the first page's resourceVersion,
            // and a token that says both; the count of what is left only when no selector filters it. A continued
            // list without a limit reads the rest at the token's version.
            var page = store.ListPage(type, ns, labels, fields, paged ? limit : int.MaxValue, start, at);
            (items, rv) = (page.Items, page.ResourceVersion);
            if (page.NextStart is not null)
            {
                next = ContinueToken.Write(page.NextStart, page.ResourceVersion);
                remaining = labels.IsEmpty && fields.IsEmpty ? page.Remaining : null;
            }
        }
        else
        {
            (items, rv) = store.List(type, ns, labels, fields);
        }

        var list = ListOf(type, items, rv.ToString(CultureInfo.InvariantCulture), next);
        if (remaining is { } count)
        {
            list["metadata"]!["remainingItemCount"] = count;
        }

        return list;
    }

    private static JsonObject ListOf(ResourceType type, List<JsonObject> items, string? rv, string? next)
    {
        var metadata = new JsonObject();
        if (rv is not null)
        {
            metadata["resourceVersion"] = rv;
        }

        if (next is not null)
        {
            metadata["continue"] = next;
        }

        return new JsonObject
        {
            ["kind"] = type.Kind + "List",
            ["apiVersion"] = type.ApiVersion,
            ["metadata"] = metadata,
            ["items"] = new JsonArray([.. items.Select(i => (JsonNode)Versioned(type, i))]),
        };
    }

    internal static JsonObject Versioned(ResourceType type, JsonObject obj)
    {
        obj["apiVersion"] = type.ApiVersion;
        obj["kind"] = type.Kind;
        return obj;
    }

    private static JsonObject Guarded(IQueryCollection query, Func<JsonObject> write)
    {
        SchemaValidator.Strict = query["fieldValidation"].ToString() == "Strict";
        try
        {
            return write();
        }
        finally
        {
            SchemaValidator.Strict = false;
        }
    }

    private static JsonObject Object(JsonNode? node) => node as JsonObject ?? throw ApiException.BadRequest("the patched object is not a JSON object");

    private static async Task<(Propagation, string?, string?)> DeleteOptionsAsync(HttpContext context, CancellationToken ct)
    {
        var body = await HttpJson.ReadAsync(context, ct).ConfigureAwait(false) as JsonObject;
        var policy = Meta.Str(body?["propagationPolicy"]) ?? context.Request.Query["propagationPolicy"].ToString();
        var propagation = policy switch
        {
            "Orphan" => Propagation.Orphan,
            "Foreground" => Propagation.Foreground,
            _ => (body?["orphanDependents"]?.GetValue<bool>() ?? QueryFlags.Get(context.Request.Query, "orphanDependents")) ? Propagation.Orphan : Propagation.Background,
        };
        return (propagation, Meta.Str(body?["preconditions"]?["uid"]), Meta.Str(body?["preconditions"]?["resourceVersion"]));
    }
}
