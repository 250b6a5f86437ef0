/// The name of a failed liveness check, as the response's `liveness.failed_checks` lists it.
/// Declaration order is the fixed order in which a verdict lists failures.
public enum LivenessCheckName: String, Sendable, Codable, CaseIterable, Hashable, Comparable {
    case challengeUnknown = "challenge_unknown"
    case challengeExpired = "challenge_expired"
    case challengeUsed = "challenge_used"
    case challengeOtherDevice = "challenge_other_device"
    case tooFewFrames = "too_few_frames"
    case tooManyFrames = "too_many_frames"
    case timestampsNotIncreasing = "timestamps_not_increasing"
    case spanTooLong = "span_too_long"
    case actionMissing = "action_missing"
    case actionOutOfOrder = "action_out_of_order"
    case identityInconsistent = "identity_inconsistent"
    case framesIdentical = "frames_identical"
    case frameReplayed = "frame_replayed"
    case padScoreLow = "pad_score_low"
    case signatureMissing = "signature_missing"
    case signatureInvalid = "signature_invalid"

    private var precedence: Int {
        // allCases is in declaration order; 16 cases, so the linear search is trivial.
        Self.allCases.firstIndex(of: self) ?? 0
    }

    public static func < (left: Self, right: Self) -> Bool { left.precedence < right.precedence }
}
