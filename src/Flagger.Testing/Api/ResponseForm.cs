using System.Globalization;

namespace Flagger.Testing.Api;

/// <summary>What a response is turned into before it is written.</summary>
internal enum ResponseShape
{
    /// <summary>The object or list itself.</summary>
    Object,

    /// <summary>A <c>meta.k8s.io Table</c> (<c>kubectl get</c>).</summary>
    Table,

    /// <summary>One object's metadata only (a metadata-only get or watch).</summary>
    PartialObjectMetadata,

    /// <summary>A list of metadata only (a metadata-only list).</summary>
    PartialObjectMetadataList,
}

/// <summary>
/// The response form a request's <c>Accept</c> header chooses, negotiated as kube-apiserver negotiates it: the
/// header is a list of media ranges, ordered by <c>q</c> (then specific before wildcard, otherwise as written), and
/// the first range the endpoint can serve wins. A range may ask for a conversion with <c>as</c>, <c>g</c> and
/// <c>v</c>: <c>Table</c>, <c>PartialObjectMetadata</c> or <c>PartialObjectMetadataList</c> in
/// <c>meta.k8s.io/v1</c> or <c>v1beta1</c>. When no range can be served the answer is 406 NotAcceptable.
/// </summary>
/// <remarks>
/// Every body is JSON. An <c>application/vnd.kubernetes.protobuf</c> range is served as if it were JSON, as this
/// server did before it negotiated: kubectl's typed commands and client-go read a response by its
/// <c>Content-Type</c>, and the metadata client lists a protobuf range first with a JSON range after it, so its
/// form is the same either way. A Table is never served for a protobuf range (kube-apiserver serves Tables in
/// JSON and YAML only).
/// </remarks>
/// <param name="Shape">The conversion asked for.</param>
/// <param name="MetaVersion">The <c>meta.k8s.io</c> version of a conversion: "v1" or "v1beta1".</param>
internal sealed record ResponseForm(ResponseShape Shape, string MetaVersion)
{
    /// <summary>The answer when there is no <c>Accept</c> header, or it asks for plain JSON.</summary>
    public static readonly ResponseForm Plain = new(ResponseShape.Object, "v1");

    private const string Json = "application/json";
    private const string Protobuf = "application/vnd.kubernetes.protobuf";

    /// <summary>The <c>apiVersion</c> of a converted response, e.g. <c>meta.k8s.io/v1</c>.</summary>
    public string ApiVersion => "meta.k8s.io/" + MetaVersion;

    /// <summary>Chooses the form for <paramref name="accept"/>, or throws 406 when no range can be served.</summary>
    /// <param name="accept">The request's <c>Accept</c> header; several header lines are joined with commas.</param>
    /// <returns>The form of the first range that can be served.</returns>
    public static ResponseForm Negotiate(string? accept)
    {
        if (string.IsNullOrWhiteSpace(accept))
        {
            return Plain;
        }

        foreach (var range in Ranges(accept))
        {
            foreach (var served in (string[])[Json, Protobuf])
            {
                if (Matches(range.MediaType, served) && Serves(range.Parameters, served) is { } form)
                {
                    return form;
                }
            }
        }

        throw new ApiException(406, "NotAcceptable", $"only the following media types are accepted: {Json}, {Protobuf}");
    }

    private static bool Matches(string range, string served) =>
        range == served || range == "*/*" || (range.EndsWith("/*", StringComparison.Ordinal) && served.StartsWith(range[..^1], StringComparison.Ordinal));

    /// <summary>The form a range's parameters ask for, or null when this server cannot serve them.</summary>
    private static ResponseForm? Serves(Dictionary<string, string> parameters, string served)
    {
        // Unknown parameters are ignored, as kube-apiserver ignores them; stream must be "watch" and sv the meta version.
        if (parameters.TryGetValue("stream", out var stream) && stream.Length > 0 && stream != "watch")
        {
            return null;
        }

        if (parameters.TryGetValue("sv", out var sv) && sv.Length > 0 && sv != "v1")
        {
            return null;
        }

        var converts = parameters.TryGetValue("as", out var kind) | parameters.TryGetValue("g", out var group) | parameters.TryGetValue("v", out var version);
        if (!converts)
        {
            return Plain;
        }

        if (group != "meta.k8s.io" || version is not ("v1" or "v1beta1"))
        {
            return null;
        }

        return kind switch
        {
            "Table" when served == Json => new ResponseForm(ResponseShape.Table, version),
            "PartialObjectMetadata" => new ResponseForm(ResponseShape.PartialObjectMetadata, version),
            "PartialObjectMetadataList" => new ResponseForm(ResponseShape.PartialObjectMetadataList, version),
            _ => null,
        };
    }

    /// <summary>
    /// The header's media ranges, highest <c>q</c> first, then specific types before wildcards, otherwise in the
    /// order written (the order kube-apiserver's parser sorts them in). Malformed ranges are dropped.
    /// </summary>
    private static IEnumerable<(string MediaType, Dictionary<string, string> Parameters)> Ranges(string accept)
    {
        var ranges = new List<(string MediaType, Dictionary<string, string> Parameters, double Q)>();
        foreach (var part in accept.Split(','))
        {
            var pieces = part.Trim().Split(';');
            var mediaType = pieces[0].Trim();
            if (mediaType == "*")
            {
                mediaType = "*/*";
            }
            else if (mediaType.Split('/').Length != 2)
            {
                continue;
            }

            var parameters = new Dictionary<string, string>(StringComparer.Ordinal);
            var q = 1.0;
            foreach (var parameter in pieces.Skip(1))
            {
                var pair = parameter.Split('=', 2);
                if (pair.Length != 2)
                {
                    continue;
                }

                var key = pair[0].Trim();
                if (key == "q")
                {
                    q = double.TryParse(pair[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var value) ? value : 0;
                }
                else
                {
                    parameters[key] = pair[1].Trim();
                }
            }

            ranges.Add((mediaType, parameters, q));
        }

        return ranges
            .OrderByDescending(r => r.Q)
            .ThenBy(r => r.MediaType.StartsWith("*/", StringComparison.Ordinal))
            .ThenBy(r => r.MediaType.EndsWith("/*", StringComparison.Ordinal))
            .Select(r => (r.MediaType, r.Parameters));
    }
}
