using Microsoft.AspNetCore.Http;

namespace Flagger.Testing.Api;

/// <summary>
/// Boolean query parameters (<c>watch</c>, <c>allowWatchBookmarks</c>, <c>pretty</c>, <c>follow</c>, ...), read the
/// way Go's <c>strconv.ParseBool</c> reads them: <c>1 t T TRUE true True</c> are true, <c>0 f F FALSE false False</c>
/// are false, and anything else is a 400 naming the parameter. Clients print booleans their own way (Python
/// sends <c>watch=True</c>), so comparing with <c>"true"</c> silently turns a watch into a list.
/// </summary>
internal static class QueryFlags
{
    /// <summary>Every boolean parameter an endpoint of this server reads; <see cref="Validate"/> checks them all up front.</summary>
    private static readonly string[] Names =
    [
        "watch", "allowWatchBookmarks", "sendInitialEvents", "pretty", "orphanDependents",
        "follow", "previous", "timestamps", "insecureSkipTLSVerifyBackend",
        "stdin", "stdout", "stderr", "tty",
    ];

    /// <summary>Rejects a request whose boolean parameters do not parse, before any endpoint acts on it.</summary>
    public static void Validate(IQueryCollection query)
    {
        foreach (var name in Names)
        {
            _ = Get(query, name);
        }
    }

    /// <summary>The parameter's value; false when absent.</summary>
    public static bool Get(IQueryCollection query, string name)
    {
        if (!query.TryGetValue(name, out var values) || values.Count == 0)
        {
            return false;
        }

        // A repeated parameter is read from its first value, as Go's url.Values.Get does.
        return Parse(values[0] ?? "") ?? throw ApiException.BadRequest(
            $"invalid value for query parameter \"{name}\": strconv.ParseBool: parsing \"{values[0]}\": invalid syntax (want one of 1, t, T, TRUE, true, True, 0, f, F, FALSE, false, False)");
    }

    /// <summary>Go's <c>strconv.ParseBool</c>: null for a value it would reject.</summary>
    internal static bool? Parse(string text) => text switch
    {
        "1" or "t" or "T" or "TRUE" or "true" or "True" => true,
        "0" or "f" or "F" or "FALSE" or "false" or "False" => false,
        _ => null,
    };
}
