import Biometrics
import FacePayCore
import Liveness

/// A genuine capture and what produced it, so attacks can reuse a victim's session or motion.
public struct GeneratedCapture: Sendable {
    public let capture: SimulatedCapture
    public let session: CaptureSession
    public let motion: [MotionFrame]
}

/// Genuine (bona fide) captures: a live customer following the challenge in front of an honest
/// device — natural pose, eye and timing noise (`FaceMotion`), live PAD scores
/// (`PresentationAttackScores.live`) and one fresh `sim-128` session per capture.
public struct GenuineCaptureGenerator: Sendable {
    public let model: SyntheticFaceModel
    public let modelName: String

    public init(model: SyntheticFaceModel = .sim128, modelName: String = "sim-128") {
        self.model = model
        self.modelName = modelName
    }

    public func capture(of person: SyntheticPerson, challengeID: String, actions: [ChallengeAction],
                        encoding: EmbeddingEncoding, using random: inout SeededRandom) -> GeneratedCapture {
        let session = CaptureSession(of: person, model: model, using: &random)
        let motion = FaceMotion.performing(actions, using: &random)
        let embeddings = motion.map { session.embedding(at: $0, using: &random) }
        let pad = PresentationAttackScores.live(motion, using: &random)
        let capture = SimulatedCapture(challengeID: challengeID, modelName: modelName, motion: motion,
                                       embeddings: embeddings, padScores: pad, encoding: encoding)
        return GeneratedCapture(capture: capture, session: session, motion: motion)
    }
}
