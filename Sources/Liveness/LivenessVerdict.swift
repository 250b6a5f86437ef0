import Biometrics

/// The outcome of a liveness check: a value, never an error. Not live lists every failed check by
/// name (never a raw score); live carries the validated frames for matching.
public enum LivenessVerdict: Sendable, Equatable {
    case live(LiveCapture)
    /// Sorted in `LivenessCheckName` order, no duplicates, never empty.
    case notLive(failedChecks: [LivenessCheckName])

    public var passed: Bool {
        if case .live = self { return true }
        return false
    }

    /// Empty when live.
    public var failedChecks: [LivenessCheckName] {
        if case .notLive(let names) = self { return names }
        return []
    }
}

/// Evidence that passed: the challenge it answered and its frames' embeddings.
public struct LiveCapture: Sendable, Equatable {
    public let challenge: Challenge
    /// Validated, L2-normalised, in frame order. Biometric data: never log or return.
    public let frameEmbeddings: [Embedding]
    /// The id the replay guard remembers the frames under; the decision attributes it to the
    /// customer it concerns, so that erasing them forgets their frames too.
    public let captureID: Int64

    public init(challenge: Challenge, frameEmbeddings: [Embedding], captureID: Int64) {
        precondition(!frameEmbeddings.isEmpty, "a live capture has frames")
        self.challenge = challenge
        self.frameEmbeddings = frameEmbeddings
        self.captureID = captureID
    }

    /// The probe to match: the normalised mean of the frames (the same rule as an enrolment
    /// template). Frames passed the identity check, so they cannot cancel out.
    public var probe: Embedding { Embedding.meanTemplate(of: frameEmbeddings) }
}
