namespace Flagger.Targets;

/// <summary>What the target runs now: the hash of its pod template and the checksums of the configs it references.</summary>
/// <param name="SpecHash">Hash of the target's pod template (see <see cref="Flagger.Model.SpecHash"/>).</param>
/// <param name="TrackedConfigs">Checksums by <c>configmap/name</c> or <c>secret/name</c>.</param>
public sealed record TargetRevision(string SpecHash, IReadOnlyDictionary<string, string> TrackedConfigs)
{
    /// <summary>A revision with no tracked configs.</summary>
    public TargetRevision(string specHash)
        : this(specHash, new Dictionary<string, string>())
    {
    }
}
