import Biometrics
import Testing

@Suite("Open-set decision")
struct OpenSetDecisionTests {
    /// A small hand-made table: rows 1e-2 … 1e-4, nothing below.
    static let profile = ModelProfile(
        id: "test", dimension: 4,
        calibration: CalibrationTable(
            points: [
                CalibrationPoint(fmr: 1e-2, similarity: 0.50, fnmr: 0.01),
                CalibrationPoint(fmr: 1e-3, similarity: 0.60, fnmr: 0.05),
                CalibrationPoint(fmr: 1e-4, similarity: 0.70, fnmr: 0.20),
            ],
            method: "test", genuinePairs: 0, impostorPairs: 0))

    static func candidates(_ pairs: (String, Float)...) -> [MatchCandidate] {
        pairs.map { MatchCandidate(subjectID: $0.0, score: $0.1) }
    }

    @Test("the threshold tightens as the number of templates searched grows")
    func thresholdTightens() throws {
        let policy = MatchPolicy(targetFPIR: 1e-2)
        let one = try #require(OpenSetDecision.threshold(templatesSearched: 1, profile: Self.profile, policy: policy))
        let ten = try #require(OpenSetDecision.threshold(templatesSearched: 10, profile: Self.profile, policy: policy))
        let hundred = try #require(OpenSetDecision.threshold(templatesSearched: 100, profile: Self.profile, policy: policy))
        #expect(one == 0.50 && ten == 0.60 && hundred == 0.70)
        // In between rows the stricter row: N = 20 → FMR 5e-4 → the 1e-4 row.
        #expect(OpenSetDecision.threshold(templatesSearched: 20, profile: Self.profile, policy: policy) == 0.70)
        // The same score accepted against 1 template is no match against 100.
        let score: Float = 0.65
        #expect(OpenSetDecision.identify(
            candidates: Self.candidates(("a", score)), templatesSearched: 1, profile: Self.profile, policy: policy)
            == .accepted(subjectID: "a", score: score, margin: score - 0.50))
        #expect(OpenSetDecision.identify(
            candidates: Self.candidates(("a", score)), templatesSearched: 100, profile: Self.profile, policy: policy)
            == .noMatch(score: score))
        // Real profiles too.
        for profile in ModelProfile.builtIn {
            var previous: Float = -1
            for templates in [1, 10, 100, 1000] {
                guard let threshold = OpenSetDecision.threshold(templatesSearched: templates, profile: profile) else { break }
                #expect(threshold >= previous)
                previous = threshold
            }
        }
    }

    @Test("hint required when the calibration cannot support the gallery size")
    func hintRequired() {
        let policy = MatchPolicy(targetFPIR: 1e-2)
        // 1e-2 / 101 < 1e-4, the table's lowest row.
        #expect(OpenSetDecision.identify(
            candidates: Self.candidates(("a", 0.99), ("b", 0.1)), templatesSearched: 101, profile: Self.profile, policy: policy)
            == .hintRequired)
        #expect(OpenSetDecision.threshold(templatesSearched: 101, profile: Self.profile, policy: policy) == nil)
        // dlib-resnet-v1 at the default target (2e-5) supports 20 templates (the 1e-6 row), not 21.
        #expect(OpenSetDecision.threshold(templatesSearched: 20, profile: .dlibResNetV1) != nil)
        #expect(OpenSetDecision.identify(
            candidates: Self.candidates(("a", 0.999)), templatesSearched: 21, profile: .dlibResNetV1) == .hintRequired)
        // sim-128 (rows to 1e-12) supports 20 million.
        #expect(OpenSetDecision.threshold(templatesSearched: 20_000_000, profile: .sim128) != nil)
        #expect(OpenSetDecision.threshold(templatesSearched: 20_000_001, profile: .sim128) == nil)
    }

    @Test("ambiguous when two distinct subjects are within the margin")
    func ambiguous() {
        let policy = MatchPolicy(targetFPIR: 1e-2, margin: 0.05)
        let close = Self.candidates(("a", 0.90), ("b", 0.86))
        #expect(OpenSetDecision.identify(candidates: close, templatesSearched: 10, profile: Self.profile, policy: policy)
            == .ambiguous(best: close[0], runnerUp: close[1]))
        // Also when the runner-up is below the threshold but within the margin.
        let belowThreshold = Self.candidates(("a", 0.62), ("b", 0.58))
        #expect(OpenSetDecision.identify(candidates: belowThreshold, templatesSearched: 10, profile: Self.profile, policy: policy)
            == .ambiguous(best: belowThreshold[0], runnerUp: belowThreshold[1]))
        // A gap of at least the margin accepts, reporting the gap.
        let apart = Self.candidates(("a", 0.90), ("b", 0.80))
        guard case .accepted(let subject, let score, let margin) =
            OpenSetDecision.identify(candidates: apart, templatesSearched: 10, profile: Self.profile, policy: policy)
        else {
            Issue.record("expected accepted")
            return
        }
        #expect(subject == "a" && score == 0.90 && abs(margin - 0.10) < 1e-6)
    }

    @Test("order of precedence: empty, hint, no match, ambiguous, accepted")
    func precedence() {
        let policy = MatchPolicy(targetFPIR: 1e-2)
        #expect(OpenSetDecision.identify(candidates: [], templatesSearched: 0, profile: Self.profile, policy: policy) == .noMatch(score: nil))
        #expect(OpenSetDecision.identify(candidates: [], templatesSearched: 5, profile: Self.profile, policy: policy) == .noMatch(score: nil))
        // Below the threshold: no match even though the two are within the margin.
        #expect(OpenSetDecision.identify(
            candidates: Self.candidates(("a", 0.55), ("b", 0.54)), templatesSearched: 10, profile: Self.profile, policy: policy)
            == .noMatch(score: 0.55))
        // Hint required beats everything but an empty search.
        #expect(OpenSetDecision.identify(
            candidates: Self.candidates(("a", 0.55), ("b", 0.54)), templatesSearched: 1000, profile: Self.profile, policy: policy)
            == .hintRequired)
    }

    @Test("1:1 verification is N = 1")
    func verify() {
        #expect(OpenSetDecision.verify(subjectID: "a", score: 0.51, profile: Self.profile, policy: MatchPolicy(targetFPIR: 1e-2))
            == .accepted(subjectID: "a", score: 0.51, margin: 0.51 - 0.50))
        #expect(OpenSetDecision.verify(subjectID: "a", score: 0.49, profile: Self.profile, policy: MatchPolicy(targetFPIR: 1e-2))
            == .noMatch(score: 0.49))
        // The default target (2e-5, Android Class 3) is below this table's lowest row: no threshold.
        #expect(OpenSetDecision.verify(subjectID: "a", score: 0.99, profile: Self.profile) == .hintRequired)
        #expect(MatchPolicy().targetFPIR == 2e-5 && MatchPolicy().margin == 0.05)
    }

    @Test("a payment above a tier's amount uses the tier's stricter target; a tier never loosens the base")
    func amountTiers() {
        let policy = MatchPolicy(targetFPIR: 1e-2, tiers: [MatchTier(amountAboveMinor: 5_000, targetFPIR: 1e-3),
                                                         MatchTier(amountAboveMinor: 100, targetFPIR: 0.1)])
        #expect(policy.forPayment(amountMinor: 5_000).targetFPIR == 1e-2)
        #expect(policy.forPayment(amountMinor: 5_001).targetFPIR == 1e-3)
        #expect(OpenSetDecision.verify(subjectID: "a", score: 0.55, profile: Self.profile, policy: policy.forPayment(amountMinor: 4_000))
            == .accepted(subjectID: "a", score: 0.55, margin: 0.55 - 0.50))
        #expect(OpenSetDecision.verify(subjectID: "a", score: 0.55, profile: Self.profile, policy: policy.forPayment(amountMinor: 6_000))
            == .noMatch(score: 0.55))
        #expect(MatchPolicy().forPayment(amountMinor: 5_001).targetFPIR == 1e-6)
    }

    @Test("fitness: the FNMR of the rows the target needs, 1:1 and for a bucket, against the bound")
    func fitness() {
        let fit = ModelFitness(modelID: "test", calibration: Self.profile.calibration, targetFPIR: 1e-2, bucketSize: 10, frrMax: 0.05)
        #expect(fit.frrOneToOne == 0.01 && fit.frrBucket == 0.05 && fit.isFit)
        let strict = ModelFitness(modelID: "test", calibration: Self.profile.calibration, targetFPIR: 1e-3, bucketSize: 10, frrMax: 0.05)
        #expect(strict.frrOneToOne == 0.05 && strict.frrBucket == 0.20 && !strict.isFit)
        #expect(strict.summary.contains("NOT fit"))
        let beyond = ModelFitness(modelID: "test", calibration: Self.profile.calibration, targetFPIR: 1e-5)
        #expect(beyond.frrOneToOne == 1 && !beyond.isFit)
        // The built-in models at the default target: the synthetic one is fit, dlib's is not.
        #expect(ModelFitness(profile: .sim128, policy: MatchPolicy()).isFit)
        let dlib = ModelFitness(profile: .dlibResNetV1, policy: MatchPolicy())
        #expect(!dlib.isFit && dlib.frrOneToOne > 0.2)
    }
}
