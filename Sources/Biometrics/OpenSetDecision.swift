/// A gallery entry that scored against a probe: whose template, and the exact float32 cosine
/// similarity. Scores go into audit events, never into logs.
public struct MatchCandidate: Sendable, Equatable, Hashable {
    public let subjectID: String
    public let score: Float

    public init(subjectID: String, score: Float) {
        self.subjectID = subjectID
        self.score = score
    }
}

/// The knobs of the open-set decision. Both defaults are product decisions, written down here.
public struct MatchPolicy: Sendable, Equatable {
    /// **Target false-positive identification rate: 1e-3.** The probability that a person who is
    /// not the account holder (a stranger, or another enrolled customer) is accepted as someone
    /// per 1:N attempt, bounded by `templatesSearched × FMR(threshold)` (union bound).
    ///
    /// Why 1e-3 for payments: an attempt needs a live person at a registered terminal passing a
    /// server-issued liveness challenge, every decision is audited, the loss is bounded by a
    /// prepaid balance and reversible by refund, and card-present fraud runs at roughly this
    /// order per transaction; strangers are a small share of attempts, so the realised fraud rate
    /// per transaction is far lower. Stricter is not free: with dlib-class models each decade
    /// costs 10–20 points of genuine acceptance (dlib-resnet-v1 on LFW: FNMR 6.7 % at FMR 1e-3,
    /// 23 % at 1e-4), which pushes customers to weaker fallbacks. Deployments with a better
    /// model should lower it; it is configuration, not code.
    public static let targetFPIRDefault = 1e-3

    /// **Ambiguity margin: 0.05 cosine.** When the runner-up (a different customer) scores within
    /// this of the best, the decision is `.ambiguous`, never a coin toss between two accounts.
    /// 0.05 is about 3 standard deviations of a genuine score for dlib-resnet-v1 (σ ≈ 0.016 on
    /// LFW) and 5 for sim-128 (σ ≈ 0.010): a runner-up that close is within the noise of one
    /// capture. On LFW it is what removes the accepts a smaller margin lets through, all of them
    /// look-alikes or label noise (one person under two names).
    public static let marginDefault: Float = 0.05

    public var targetFPIR: Double
    public var margin: Float

    public init(targetFPIR: Double = targetFPIRDefault, margin: Float = marginDefault) {
        precondition(targetFPIR > 0 && targetFPIR < 1, "a target FPIR is a probability in (0, 1)")
        precondition(margin >= 0 && margin.isFinite, "a margin is a non-negative similarity")
        self.targetFPIR = targetFPIR
        self.margin = margin
    }
}

/// The outcome of an open-set identification or a verification. A value, never an error.
public enum MatchDecision: Sendable, Equatable {
    /// The best candidate cleared the threshold, and the runner-up (if any) is at least the
    /// policy margin below it. `margin` is the gap to the runner-up, or to the threshold when
    /// there is no runner-up.
    case accepted(subjectID: String, score: Float, margin: Float)
    /// Nobody cleared the threshold; `score` is the best score (nil when nothing was searched).
    case noMatch(score: Float?)
    /// The best two are different subjects within the margin of each other, and the best cleared
    /// the threshold.
    case ambiguous(best: MatchCandidate, runnerUp: MatchCandidate)
    /// The calibration has no safe threshold for this many templates: narrow the search (phone
    /// hint) and try again.
    case hintRequired
}

/// The open-set 1:N decision and the 1:1 verification, as pure functions of scores, gallery size,
/// model calibration and policy. Checks run in a fixed order of precedence:
///
/// 1. nothing searched or no candidate → `.noMatch(nil)`;
/// 2. no calibrated threshold for FMR = targetFPIR / N → `.hintRequired`;
/// 3. best score below the threshold → `.noMatch(best)`;
/// 4. runner-up within the margin → `.ambiguous`;
/// 5. otherwise → `.accepted`.
///
/// N is the number of templates the search covered (the whole gallery, or the hint's bucket),
/// not the number of candidates returned: every template searched is a chance for a false match.
public enum OpenSetDecision {
    /// Candidates the decision needs to see: the best and the runner-up.
    public static let candidatesNeeded = 2

    /// The per-comparison FMR that keeps the FPIR at the target over `templatesSearched`.
    public static func perComparisonFMR(templatesSearched: Int, policy: MatchPolicy) -> Double {
        precondition(templatesSearched > 0, "at least one template searched")
        return policy.targetFPIR / Double(templatesSearched)
    }

    /// The similarity threshold for a search over `templatesSearched` templates, or `nil` when the
    /// profile's calibration has no safe threshold that strict. Tightens as N grows.
    public static func threshold(templatesSearched: Int, profile: ModelProfile, policy: MatchPolicy = MatchPolicy()) -> Float? {
        profile.calibration.threshold(forFMR: perComparisonFMR(templatesSearched: templatesSearched, policy: policy))
    }

    /// 1:N. `candidates`: best first, distinct subjects (as `GalleryIndex.search` returns them);
    /// pass at least `candidatesNeeded` when the search had that many templates.
    public static func identify(
        candidates: [MatchCandidate], templatesSearched: Int, profile: ModelProfile, policy: MatchPolicy = MatchPolicy()
    ) -> MatchDecision {
        precondition(templatesSearched >= 0, "a count of templates")
        precondition(candidates.count <= max(templatesSearched, 0), "more candidates than templates searched")
        for (better, worse) in zip(candidates, candidates.dropFirst()) {
            precondition(better.score >= worse.score, "candidates are ordered best first")
            precondition(better.subjectID != worse.subjectID, "candidates are distinct subjects")
        }
        guard templatesSearched > 0, let best = candidates.first else { return .noMatch(score: nil) }
        guard let threshold = threshold(templatesSearched: templatesSearched, profile: profile, policy: policy) else {
            return .hintRequired
        }
        guard best.score >= threshold else { return .noMatch(score: best.score) }
        if candidates.count > 1 {
            let runnerUp = candidates[1]
            let gap = best.score - runnerUp.score
            guard gap >= policy.margin else { return .ambiguous(best: best, runnerUp: runnerUp) }
            return .accepted(subjectID: best.subjectID, score: best.score, margin: gap)
        }
        return .accepted(subjectID: best.subjectID, score: best.score, margin: best.score - threshold)
    }

    /// 1:1: the probe against one claimed subject's template (N = 1).
    public static func verify(
        subjectID: String, score: Float, profile: ModelProfile, policy: MatchPolicy = MatchPolicy()
    ) -> MatchDecision {
        identify(
            candidates: [MatchCandidate(subjectID: subjectID, score: score)], templatesSearched: 1,
            profile: profile, policy: policy)
    }
}
