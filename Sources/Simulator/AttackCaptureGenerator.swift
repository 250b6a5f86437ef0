import Biometrics
import FacePayCore
import Liveness

/// Attack captures, generated as an adversary would make them. These functions only build
/// captures; which challenge they cite, which device sends them and how they are signed is up to
/// the caller (`AttackReportRunner` in process, a load generator against a real server).
public struct AttackCaptureGenerator: Sendable {
    public let genuine: GenuineCaptureGenerator

    public init(genuine: GenuineCaptureGenerator = GenuineCaptureGenerator()) {
        self.genuine = genuine
    }

    var model: SyntheticFaceModel { genuine.model }
    var modelName: String { genuine.modelName }

    /// A print of the victim: one picture (a session, frames differing by sensor noise only), held
    /// flat (`FaceMotion.still`) for 20–35 frames; the device's PAD sees paper.
    public func printedPhoto(of victim: SyntheticPerson, challengeID: String, encoding: EmbeddingEncoding,
                             using random: inout SeededRandom) -> SimulatedCapture {
        let picture = CaptureSession(of: victim, model: model, using: &random)
        let motion = FaceMotion.still(frameCount: Int.random(in: 20...35, using: &random), using: &random)
        let embeddings = motion.map { picture.embedding(at: $0, noiseScale: 0.5, using: &random) }
        let pad = PresentationAttackScores.printedPhoto(frameCount: motion.count, using: &random)
        return SimulatedCapture(challengeID: challengeID, modelName: modelName, motion: motion,
                                embeddings: embeddings, padScores: pad, encoding: encoding)
    }

    /// A screen playing `recording` (a genuine capture of the victim doing the asked actions): the
    /// device measures the recorded motion and embeds the face on the screen afresh (new frame
    /// noise around the recorded session), and its PAD sees a screen.
    public func screenReplay(of recording: GeneratedCapture, challengeID: String, encoding: EmbeddingEncoding,
                             using random: inout SeededRandom) -> SimulatedCapture {
        let screen = CaptureSession(centre: recording.session.centre, model: model, using: &random)
        let embeddings = recording.motion.map { screen.embedding(at: $0, using: &random) }
        let pad = PresentationAttackScores.screen(frameCount: recording.motion.count, using: &random)
        return SimulatedCapture(challengeID: challengeID, modelName: modelName, motion: recording.motion,
                                embeddings: embeddings, padScores: pad, encoding: encoding)
    }

    /// A capture that leaves out at least one of `actions`: it performs only the first, only the
    /// second, none, or the kept one with a substitute not asked for. Scripted, so no spontaneous
    /// blink does the missing action by accident.
    public func actionsMissing(of victim: SyntheticPerson, challengeID: String, actions: [ChallengeAction],
                               encoding: EmbeddingEncoding, using random: inout SeededRandom) -> SimulatedCapture {
        precondition(!actions.isEmpty)
        let others = ChallengeAction.allCases.filter { !actions.contains($0) }
        let kept = actions.randomElement(using: &random).map { [$0] } ?? []
        let performed: [ChallengeAction]
        switch Int.random(in: 0..<4, using: &random) {
        case 0: performed = [actions[0]]
        case 1: performed = [actions[actions.count - 1]]
        case 2: performed = []
        default: performed = (kept + [others.randomElement(using: &random)].compactMap { $0 }).shuffled(using: &random)
        }
        return live(victim, challengeID: challengeID, performing: performed, encoding: encoding, using: &random)
    }

    /// A capture doing `actions` in reverse order (scripted, no spontaneous blinks).
    public func actionsOutOfOrder(of victim: SyntheticPerson, challengeID: String, actions: [ChallengeAction],
                                  encoding: EmbeddingEncoding, using random: inout SeededRandom) -> SimulatedCapture {
        precondition(actions.count >= 2 && Set(actions).count == actions.count)
        return live(victim, challengeID: challengeID, performing: actions.reversed(), encoding: encoding, using: &random)
    }

    /// The attacker performs the actions live (so motion and PAD are genuine); from a frame in the
    /// middle third on, a virtual camera substitutes the victim's embeddings.
    public func faceSwap(attacker: SyntheticPerson, victim: SyntheticPerson, challengeID: String,
                         actions: [ChallengeAction], encoding: EmbeddingEncoding,
                         using random: inout SeededRandom) -> SimulatedCapture {
        let own = CaptureSession(of: attacker, model: model, using: &random)
        let stolen = CaptureSession(of: victim, model: model, using: &random)
        let motion = FaceMotion.performing(actions, using: &random)
        let swapIndex = Int.random(in: (motion.count / 3)...(2 * motion.count / 3), using: &random)
        let embeddings = motion.indices.map { index in
            (index < swapIndex ? own : stolen).embedding(at: motion[index], using: &random)
        }
        let pad = PresentationAttackScores.live(motion, using: &random)
        return SimulatedCapture(challengeID: challengeID, modelName: modelName, motion: motion,
                                embeddings: embeddings, padScores: pad, encoding: encoding)
    }

    /// One still embedding of the victim injected as every frame, exactly or with per-component
    /// noise of `noiseSigma` to dodge an exact-duplicate test; motion and PAD forged to pass.
    public func staticFrames(of victim: SyntheticPerson, challengeID: String, actions: [ChallengeAction],
                             noiseSigma: Double, encoding: EmbeddingEncoding,
                             using random: inout SeededRandom) -> SimulatedCapture {
        let still = CaptureSession(of: victim, model: model, using: &random)
        let motion = FaceMotion.performing(actions, spontaneousBlinks: false, using: &random)
        let base = still.embedding(at: MotionFrame(timeMilliseconds: 0, yawDegrees: 0, pitchDegrees: 0, eyesOpen: 1),
                                   using: &random)
        let embeddings = motion.map { _ in
            noiseSigma == 0 ? base : Self.normalised(base.map { Double($0) + noiseSigma * random.nextGaussian() })
        }
        let pad = PresentationAttackScores.forged(frameCount: motion.count, using: &random)
        return SimulatedCapture(challengeID: challengeID, modelName: modelName, motion: motion,
                                embeddings: embeddings, padScores: pad, encoding: encoding)
    }

    /// The noise levels a nudged replay cycles through (per component, on the values as sent).
    public static let nudges: [Double] = [1e-5, 1e-4, 1e-3, 3e-3]

    /// `recorded` (a capture the server saw) re-sent for `actions`: new scripted motion, timed
    /// so that it needs no more frames than were recorded (the adversary picks the timing), the
    /// recorded embeddings evenly resampled in order — each used at most once, so no two frames
    /// repeat — each with Gaussian noise of `noiseSigma` per component; PAD forged.
    public func nudgedReplay(of recorded: SimulatedCapture, challengeID: String, actions: [ChallengeAction],
                             noiseSigma: Double, encoding: EmbeddingEncoding,
                             using random: inout SeededRandom) -> SimulatedCapture {
        guard let source = try? recorded.evidence.validatedEmbeddings(dimension: model.dimension).map(\.values) else {
            preconditionFailure("a recorded capture has valid embeddings")
        }
        var motion = FaceMotion.performing(actions, spontaneousBlinks: false, using: &random)
        for _ in 0..<64 where motion.count > source.count {
            motion = FaceMotion.performing(actions, spontaneousBlinks: false, using: &random)
        }
        motion = Array(motion.prefix(source.count))
        let embeddings = motion.indices.map { index in
            source[index * source.count / motion.count].map { $0 + Float(noiseSigma * random.nextGaussian()) }
        }
        let pad = PresentationAttackScores.forged(frameCount: motion.count, using: &random)
        return SimulatedCapture(challengeID: challengeID, modelName: modelName, motion: motion,
                                embeddings: embeddings, padScores: pad, encoding: encoding)
    }

    /// A forged capture that is flawless except that it is not the device's: the victim's fresh
    /// session, scripted motion answering `actions`, forged PAD. Used unsigned or mis-signed.
    public func forged(of victim: SyntheticPerson, challengeID: String, actions: [ChallengeAction],
                       encoding: EmbeddingEncoding, using random: inout SeededRandom) -> SimulatedCapture {
        let session = CaptureSession(of: victim, model: model, using: &random)
        let motion = FaceMotion.performing(actions, using: &random)
        let embeddings = motion.map { session.embedding(at: $0, using: &random) }
        let pad = PresentationAttackScores.forged(frameCount: motion.count, using: &random)
        return SimulatedCapture(challengeID: challengeID, modelName: modelName, motion: motion,
                                embeddings: embeddings, padScores: pad, encoding: encoding)
    }

    /// A live-looking capture performing `performed` (scripted: no spontaneous blinks).
    private func live(_ person: SyntheticPerson, challengeID: String, performing performed: [ChallengeAction],
                      encoding: EmbeddingEncoding, using random: inout SeededRandom) -> SimulatedCapture {
        let session = CaptureSession(of: person, model: model, using: &random)
        let motion = FaceMotion.performing(performed, spontaneousBlinks: false, using: &random)
        let embeddings = motion.map { session.embedding(at: $0, using: &random) }
        let pad = PresentationAttackScores.live(motion, using: &random)
        return SimulatedCapture(challengeID: challengeID, modelName: modelName, motion: motion,
                                embeddings: embeddings, padScores: pad, encoding: encoding)
    }

    static func normalised(_ values: [Double]) -> [Float] {
        let norm = values.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return values.map { Float($0 / norm) }
    }
}
