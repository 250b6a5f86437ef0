import FacePayCore
import Foundation
import Liveness

/// How a capture writes its embeddings on the wire.
public enum EmbeddingEncoding: String, Sendable, CaseIterable {
    /// `"embedding": [0.013, …]`
    case array
    /// `"embedding_b64": "…"` (little-endian float32)
    case base64
}

/// A capture as a terminal would send it: the `face` object of the wire contract.
public struct SimulatedCapture: Sendable, Equatable {
    public var evidence: FaceEvidence

    public init(evidence: FaceEvidence) {
        self.evidence = evidence
    }

    /// Assembles frames from their parts; all arrays have one entry per frame.
    public init(challengeID: String, modelName: String, motion: [MotionFrame], embeddings: [[Float]],
                padScores: [Double], encoding: EmbeddingEncoding) {
        precondition(motion.count == embeddings.count && motion.count == padScores.count, "one value per frame")
        let frames = motion.indices.map { index in
            EvidenceFrame(
                timeMilliseconds: motion[index].timeMilliseconds,
                embedding: encoding == .array ? .values(embeddings[index]) : .base64(of: embeddings[index]),
                yawDegrees: motion[index].yawDegrees, pitchDegrees: motion[index].pitchDegrees,
                eyesOpen: motion[index].eyesOpen, padScore: padScores[index])
        }
        evidence = FaceEvidence(challengeID: challengeID, model: modelName, frames: frames)
    }

    /// The same frames citing another challenge (what a replay or relay does).
    public func citing(challengeID: String) -> SimulatedCapture {
        var copy = self
        copy.evidence.challengeID = challengeID
        return copy
    }

    /// The `face` object as JSON bytes (keys sorted, so equal captures give equal bytes).
    public func faceJSON() -> [UInt8] { WireJSON.encode(evidence) }
}
