using Flagger.Model.Validation;
using static Flagger.Tests.Model.Validation.ValidationAssert;

namespace Flagger.Tests.Model.Validation;

/// <summary>One row per bad input in the analysis block's scalar fields.</summary>
public sealed class AnalysisValidationTests
{
    private const string NeverAdvances = "can never advance: set stepWeight (with maxWeight) or stepWeights for a canary release, or iterations";

    [Theory]
    [InlineData("spec.analysis.interval=\"soon\"", "spec.analysis.interval", "must be a duration in seconds or minutes such as 30s or 1m, got 'soon'")]
    [InlineData("spec.analysis.interval=\"1h\"", "spec.analysis.interval", "got '1h'")]
    [InlineData("spec.analysis.interval=\"1.5m\"", "spec.analysis.interval", "got '1.5m'")]
    [InlineData("spec.analysis.interval=\"-1m\"", "spec.analysis.interval", "got '-1m'")]
    [InlineData("spec.analysis.interval=\"90\"", "spec.analysis.interval", "got '90'")]
    [InlineData("spec.analysis.interval=\"1mx\"", "spec.analysis.interval", "got '1mx'")]
    [InlineData("spec.analysis.interval=\"1m99999999999999h\"", "spec.analysis.interval", "got '1m99999999999999h'")]
    [InlineData("spec.analysis.interval=\"99999999999999m\"", "spec.analysis.interval", "must be at most 24h0m0s, got '99999999999999m'")]
    [InlineData("spec.analysis.interval=\"1441m\"", "spec.analysis.interval", "must be at most 24h0m0s, got '1441m'")]
    [InlineData("spec.analysis.interval=\"71582789m\"", "spec.analysis.interval", "must be at most 24h0m0s, got '71582789m'")]
    [InlineData("spec.analysis.threshold=-1", "spec.analysis.threshold", "must be 0 or more, got -1")]
    [InlineData("spec.analysis.stepWeight=-5", "spec.analysis.stepWeight", "must be 1..100, got -5")]
    [InlineData("spec.analysis.stepWeight=101", "spec.analysis.stepWeight", "must be 1..100, got 101")]
    [InlineData("spec.analysis.maxWeight=101", "spec.analysis.maxWeight", "must be 1..100, got 101")]
    [InlineData("spec.analysis.maxWeight=-1", "spec.analysis.maxWeight", "must be 1..100, got -1")]
    [InlineData("spec.analysis.maxWeight=5", "spec.analysis.maxWeight", "must be at least stepWeight (10), got 5")]
    [InlineData("spec.analysis.stepWeights=[0,10]", "spec.analysis.stepWeights[0]", "must be 1..100, got 0")]
    [InlineData("spec.analysis.stepWeights=[10,101]", "spec.analysis.stepWeights[1]", "must be 1..100, got 101")]
    [InlineData("spec.analysis.stepWeights=[10,-1]", "spec.analysis.stepWeights[1]", "must be 1..100, got -1")]
    [InlineData("spec.analysis.stepWeights=[10,10]", "spec.analysis.stepWeights[1]", "must be greater than the step before it (10), got 10")]
    [InlineData("spec.analysis.stepWeights=[1,20,10,80]", "spec.analysis.stepWeights[2]", "must be greater than the step before it (20), got 10")]
    [InlineData("spec.analysis.stepWeightPromotion=101", "spec.analysis.stepWeightPromotion", "must be 0..100, got 101")]
    [InlineData("spec.analysis.stepWeightPromotion=-1", "spec.analysis.stepWeightPromotion", "must be 0..100, got -1")]
    [InlineData("spec.analysis.iterations=-1", "spec.analysis.iterations", "must be 0 or more, got -1")]
    [InlineData("spec.analysis.mirrorWeight=101", "spec.analysis.mirrorWeight", "must be 0..100, got 101")]
    [InlineData("spec.analysis.mirrorWeight=-1", "spec.analysis.mirrorWeight", "must be 0..100, got -1")]
    [InlineData("spec.analysis.primaryReadyThreshold=101", "spec.analysis.primaryReadyThreshold", "must be 0..100, got 101")]
    [InlineData("spec.analysis.canaryReadyThreshold=-1", "spec.analysis.canaryReadyThreshold", "must be 0..100, got -1")]
    [InlineData("spec.analysis.match={}", "spec.analysis.match", "must be a list of match conditions")]
    public void Reports_bad_analysis_fields(string edit, string path, string message) =>
        HasProblem(ValidateEdited(edit), path, message);

    [Theory]
    [InlineData("spec.analysis.stepWeight-")]
    [InlineData("spec.analysis.stepWeight=0")]
    [InlineData("spec.analysis.stepWeight=0 & spec.analysis.stepWeights=[]")]
    [InlineData("spec.analysis.stepWeight=0 & spec.analysis.iterations=0 & spec.analysis.maxWeight=100")]
    [InlineData("spec.analysis={}")]
    public void Reports_a_canary_that_can_never_advance(string edit) =>
        HasProblem(ValidateEdited(edit), "spec.analysis", NeverAdvances);

    [Fact]
    public void A_provider_without_weights_always_advances_because_it_runs_ten_iterations_by_default()
    {
        // The validator learns which routers cannot shift weights from their registrations (RouterCapabilities).
        string[] weightless = ["kubernetes"];
        Assert.Empty(ValidateEdited("spec.provider=\"kubernetes\" & spec.analysis.stepWeight-", new ValidationOptions { MeshProvidersWithoutWeights = weightless }));
        Assert.Empty(ValidateEdited("spec.analysis.stepWeight-", new ValidationOptions { MeshProvider = "kubernetes", MeshProvidersWithoutWeights = weightless }));
        HasProblem(ValidateEdited("spec.provider=\"kubernetes\" & spec.analysis.stepWeight-"), "spec.analysis", NeverAdvances);
        HasProblem(
            ValidateEdited("spec.provider=\"istio\" & spec.analysis.stepWeight-", new ValidationOptions { MeshProvider = "kubernetes", MeshProvidersWithoutWeights = weightless }),
            "spec.analysis",
            NeverAdvances);
    }

    [Theory]
    [InlineData("spec.analysis.sessionAffinity={}", "spec.analysis.sessionAffinity.cookieName", "required")]
    [InlineData("spec.analysis.sessionAffinity={\"cookieName\":\"flagger\",\"primaryCookieName\":\"flagger\"}", "spec.analysis.sessionAffinity.primaryCookieName", "must differ from cookieName, both are 'flagger'")]
    [InlineData("spec.analysis.sessionAffinity={\"cookieName\":\"flagger\",\"sameSite\":\"strict\"}", "spec.analysis.sessionAffinity.sameSite", "must be Strict, Lax or None, got 'strict'")]
    [InlineData("spec.analysis.sessionAffinity={\"cookieName\":\"flagger\",\"maxAge\":-1}", "spec.analysis.sessionAffinity.maxAge", "must be 0 or more, got -1")]
    public void Reports_bad_session_affinity(string edit, string path, string message) =>
        HasProblem(ValidateEdited(edit), path, message);

    [Theory]
    [InlineData("spec.analysis.interval=\"30s\"")]
    [InlineData("spec.analysis.interval=\"1m30s\"")]
    [InlineData("spec.analysis.interval=\"1440m\"")]
    [InlineData("spec.analysis.interval-")]
    [InlineData("spec.analysis.threshold=0")]
    [InlineData("spec.analysis.maxWeight=10")]
    [InlineData("spec.analysis.maxWeight=0")]
    [InlineData("spec.analysis.stepWeight=100 & spec.analysis.maxWeight=100")]
    [InlineData("spec.analysis.stepWeight- & spec.analysis.stepWeights=[1,2,10,80]")]
    [InlineData("spec.analysis.stepWeight- & spec.analysis.maxWeight- & spec.analysis.iterations=10")]
    [InlineData("spec.analysis.stepWeight- & spec.analysis.iterations=10 & spec.analysis.mirror=true & spec.analysis.mirrorWeight=100")]
    [InlineData("spec.analysis.stepWeight- & spec.analysis.iterations=10 & spec.analysis.match=[{\"headers\":{\"x-canary\":{\"exact\":\"insider\"}}}]")]
    [InlineData("spec.analysis.stepWeight- & spec.skipAnalysis=true")]
    [InlineData("spec.analysis.stepWeightPromotion=100")]
    [InlineData("spec.analysis.primaryReadyThreshold=0 & spec.analysis.canaryReadyThreshold=100")]
    [InlineData("spec.analysis.sessionAffinity={\"cookieName\":\"flagger-cookie\",\"primaryCookieName\":\"primary-cookie\",\"sameSite\":\"Lax\",\"maxAge\":21600}")]
    public void Accepts_valid_variations(string edit) =>
        Assert.Empty(ValidateEdited(edit));
}
