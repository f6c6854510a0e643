namespace EmbeddedEngine.Ports;

/// <summary>
/// What the pipeline knows about one service: the version serving as primary, the candidate under analysis, and
/// the candidate's error rate as its own telemetry reports it. The ports below read and change only this.
/// </summary>
internal sealed class Release
{
    public string Primary { get; set; } = "";

    public string Candidate { get; set; } = "";

    /// <summary>Share of the candidate's requests that fail, in percent.</summary>
    public double CandidateErrorPercent { get; set; }

    public int CanaryWeight { get; set; }
}
