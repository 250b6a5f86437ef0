import Biometrics
import Foundation

/// The facts every check reads, gathered once by the policy: the stateful ones (the challenge
/// consumption, how many frames the replay guard found near earlier ones) and the costly ones (embedding validation,
/// pairwise similarities) are computed a single time, so each check stays a small comparison.
public struct LivenessContext: Sendable {
    public let settings: LivenessSettings
    public let submission: LivenessSubmission
    public let consumption: ChallengeConsumption
    /// Validated, normalised embeddings in frame order; nil when there were more than
    /// `framesMax` frames and they were not looked at.
    public let embeddings: [Embedding]?
    /// Frames of this capture near a frame of an earlier request (0 when embeddings were not
    /// looked at).
    public let replayNearFrames: Int
    /// Smallest and largest cosine similarity over all frame pairs; nil with fewer than 2 frames.
    public let pairwiseSimilarity: PairwiseSimilarity?

    public init(settings: LivenessSettings, submission: LivenessSubmission, consumption: ChallengeConsumption,
                embeddings: [Embedding]?, replayNearFrames: Int) {
        precondition(replayNearFrames >= 0 && replayNearFrames <= embeddings?.count ?? 0, "near frames are frames")
        self.settings = settings
        self.submission = submission
        self.consumption = consumption
        self.embeddings = embeddings
        self.replayNearFrames = replayNearFrames
        self.pairwiseSimilarity = embeddings.flatMap(PairwiseSimilarity.init(of:))
    }

    /// The frames as sent (timestamps, pose, eyes, PAD were range-checked while decoding).
    public var frames: [EvidenceFrame] { submission.evidence.frames }

    /// The challenge this device cited, when it is this device's (consumed now, or already used,
    /// or expired): its actions can still be checked. nil when unknown or another device's.
    public var challenge: Challenge? {
        switch consumption {
        case .consumed(let challenge), .alreadyUsed(let challenge), .expired(let challenge): challenge
        case .unknown, .otherDevice: nil
        }
    }
}
