using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Flagger.Model;

// Compiled into both router packages (Flagger.GatewayApi and, linked, Flagger.Istio), so both derive the same
// cookies; it reads the Core model only.
namespace Flagger.Routing.Affinity;

/// <summary>
/// The session-affinity cookies of a canary's current revision (<c>analysis.sessionAffinity</c>). Flagger draws
/// random values and keeps them in the Canary's status; here a router cannot write the status, so the values are
/// derived from the Canary's uid and the revision under analysis (<c>status.lastAppliedSpec</c>): the same on every
/// reconcile and every replica of the operator, new for each revision. Values already in the status win, so a
/// Canary migrated from Flagger keeps the cookies its users hold.
/// </summary>
internal sealed record SessionCookies(string Canary, string? Primary, string CanarySetCookie, string? PrimarySetCookie)
{
    private const string Letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

    /// <summary>The cookies, or null when the canary has no session affinity.</summary>
    public static SessionCookies? For(Canary canary)
    {
        var analysis = canary.Spec.GetAnalysis();
        if (analysis?.SessionAffinity is not { CookieName: { Length: > 0 } cookieName } affinity)
        {
            return null;
        }

        var status = canary.Status;
        var canaryCookie = status?.SessionAffinityCookie is { Length: > 0 } kept ? kept : $"{cookieName}={Derive(canary, "canary")}";
        string? primaryCookie = null;
        string? primarySetCookie = null;
        if (affinity.PrimaryCookieName is { Length: > 0 } primaryName)
        {
            primaryCookie = status?.PrimarySessionAffinityCookie is { Length: > 0 } keptPrimary ? keptPrimary : $"{primaryName}={Derive(canary, "primary")}";

            // The primary cookie only lasts an analysis interval: it keeps a user on the primary for the next step.
            var interval = GoDuration.TryParse(analysis.Interval, out var parsed) ? parsed : TimeSpan.FromMinutes(1);
            primarySetCookie = Build(affinity, primaryCookie, (int)interval.TotalSeconds);
        }

        return new SessionCookies(canaryCookie, primaryCookie, Build(affinity, canaryCookie, affinity.MaxAge > 0 ? affinity.MaxAge : 86400), primarySetCookie);
    }

    /// <summary>A <c>Set-Cookie</c> value that deletes <paramref name="cookie"/> (<c>name=value</c>) at once.</summary>
    public static string Expire(string cookie) => $"{cookie}; Max-Age=-1";

    /// <summary>A <c>Cookie</c> header regex matching a request that carries <paramref name="cookie"/> (<c>name=value</c>).</summary>
    public static string MatchRegex(string cookie)
    {
        var equals = cookie.IndexOf('=', StringComparison.Ordinal);
        return equals < 0 ? $".*{cookie}.*" : $".*{cookie[..equals]}.*{cookie[(equals + 1)..]}.*";
    }

    /// <summary>A <c>Set-Cookie</c> value with the attributes the spec asks for, in Flagger's order.</summary>
    private static string Build(SessionAffinity affinity, string cookie, int maxAge)
    {
        var text = new StringBuilder(cookie).Append(CultureInfo.InvariantCulture, $"; Max-Age={maxAge}");
        if (!string.IsNullOrEmpty(affinity.Domain))
        {
            text.Append("; Domain=").Append(affinity.Domain);
        }

        if (affinity.HttpOnly)
        {
            text.Append("; HttpOnly");
        }

        if (affinity.Partitioned)
        {
            text.Append("; Partitioned");
        }

        if (!string.IsNullOrEmpty(affinity.Path))
        {
            text.Append("; Path=").Append(affinity.Path);
        }

        if (!string.IsNullOrEmpty(affinity.SameSite))
        {
            text.Append("; SameSite=").Append(affinity.SameSite);
        }

        if (affinity.Secure)
        {
            text.Append("; Secure");
        }

        return text.ToString();
    }

    // Ten letters, as Flagger's cookies have.
    private static string Derive(Canary canary, string which)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{canary.Metadata.Uid}/{canary.Namespace}/{canary.Name}/{canary.Status?.LastAppliedSpec}/{which}"));
        return string.Create(10, hash, static (chars, bytes) =>
        {
            for (var i = 0; i < chars.Length; i++)
            {
                chars[i] = Letters[bytes[i] % Letters.Length];
            }
        });
    }
}
