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

/// A stricter match target for payments above an amount, as card schemes ask for a PIN above
/// the contactless limit: a larger payment is worth more to an impostor, so it must be harder
/// to win by chance.
public struct MatchTier: Sendable, Equatable {
    /// Payments of more than this many minor units (of the payment's currency) use `targetFPIR`.
    public let amountAboveMinor: Int64
    public let targetFPIR: Double

    public init(amountAboveMinor: Int64, targetFPIR: Double) {
        precondition(amountAboveMinor >= 0, "a tier starts at a non-negative amount")
        precondition(targetFPIR > 0 && targetFPIR < 1, "a target is a probability in (0, 1)")
        self.amountAboveMinor = amountAboveMinor
        self.targetFPIR = targetFPIR
    }
}

/// The knobs of the open-set decision. Every default is a product decision, written down here
/// and in docs/BIOMETRICS.md.
public struct MatchPolicy: Sendable, Equatable {
    /// **Target false-accept rate per attempt: 1/50,000 (2e-5).** The probability that a person
    /// who is not the account holder (a stranger, or another enrolled customer) is accepted as
    /// someone in one attempt, over everything that attempt searched — the whole gallery, or the
    /// hint's bucket — bounded by `templatesSearched × FMR(threshold)` (union bound).
    ///
    /// Why this strict: a phone's last four digits are not secret, so an impostor can always
    /// narrow the search to one victim's bucket, where the per-attempt rate is the whole story.
    /// At the former 1e-3 one stranger in a thousand who typed a customer's last four was charged
    /// to them. 1/50,000 is Android's Class 3 ("strong") biometric bar, stricter than FIDO's
    /// 1/10,000; attempt budgets (`AttemptBudget`) then bound how many attempts an impostor gets.
    /// The price is genuine acceptance on weak models (dlib-resnet-v1 on LFW: FNMR 6.7 % at FMR
    /// 1e-3, ≈ 40 % at 2e-5), which `ModelFitness` states plainly: a model that cannot meet
    /// it is configured out by calibration, never by loosening this in code.
    public static let targetFPIRDefault = 2e-5

    /// **Above 50.00: 1e-6 (Face ID's claim).** Card schemes' contactless limit in the EU is about
    /// 50 of the currency's major unit; above it a stronger verification is asked for. Amounts are
    /// in minor units of the payment's currency.
    public static let tiersDefault = [MatchTier(amountAboveMinor: 5_000, targetFPIR: 1e-6)]

    /// **Ambiguity margin: 0.05 cosine.** When the runner-up (a different customer) scores within
    /// this of the best, the decision is `.ambiguous`, never a coin toss between two accounts.
    /// 0.05 is about 3 standard deviations of a genuine score for dlib-resnet-v1 (σ ≈ 0.016 on
    /// LFW) and 5 for sim-128 (σ ≈ 0.010): a runner-up that close is within the noise of one
    /// capture. On LFW it is what removes the accepts a smaller margin lets through, all of them
    /// look-alikes or label noise (one person under two names).
    public static let marginDefault: Float = 0.05

    public var targetFPIR: Double
    public var margin: Float
    /// Stricter targets for larger payments (`forPayment(amountMinor:)`); verification and
    /// enrolment use `targetFPIR`.
    public var tiers: [MatchTier]

    public init(targetFPIR: Double = targetFPIRDefault, margin: Float = marginDefault, tiers: [MatchTier] = tiersDefault) {
        precondition(targetFPIR > 0 && targetFPIR < 1, "a target FPIR is a probability in (0, 1)")
        precondition(margin >= 0 && margin.isFinite, "a margin is a non-negative similarity")
        self.targetFPIR = targetFPIR
        self.margin = margin
        self.tiers = tiers
    }

    /// The policy for a payment of `amountMinor`: the strictest of the base target and every
    /// tier the amount is above (a tier never loosens the base).
    public func forPayment(amountMinor: Int64) -> MatchPolicy {
        var policy = self
        for tier in tiers where amountMinor > tier.amountAboveMinor {
            policy.targetFPIR = min(policy.targetFPIR, tier.targetFPIR)
        }
        return policy
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
