import Biometrics
import FacePayCore
import Foundation
import Liveness

/// Seed of a randomised test: `FACEPAY_TEST_SEED` when set (to replay a failure), else `fallback`.
/// Always printed.
func testSeed(_ fallback: UInt64, _ name: String) -> UInt64 {
    let seed = ProcessInfo.processInfo.environment["FACEPAY_TEST_SEED"].flatMap(UInt64.init) ?? fallback
    print("\(name): seed \(seed) (set FACEPAY_TEST_SEED to replay)")
    return seed
}

/// Deterministic captures that answer a challenge exactly, built from the sim-128 model without the
/// Simulator module, so each test can break one thing at a time.
enum CaptureBuilder {
    static let model = SyntheticFaceModel.sim128
    static let frameIntervalMilliseconds: Int64 = 100

    /// (yaw, pitch, eyes) per frame: three neutral frames, each action, two neutral frames.
    static func poses(for actions: [ChallengeAction]) -> [(yaw: Double, pitch: Double, eyes: Double)] {
        var poses: [(yaw: Double, pitch: Double, eyes: Double)] = Array(repeating: (0, 0, 0.9), count: 3)
        for action in actions {
            switch action {
            case .turnLeft: poses += [-12, -25, -30, -25, -12, 0].map { ($0, 0, 0.9) }
            case .turnRight: poses += [12, 25, 30, 25, 12, 0].map { ($0, 0, 0.9) }
            case .lookUp: poses += [8, 18, 22, 18, 8, 0].map { (0, $0, 0.9) }
            case .lookDown: poses += [-8, -18, -22, -18, -8, 0].map { (0, $0, 0.9) }
            case .blink: poses += [0.9, 0.1, 0.05, 0.9, 0.9].map { (0, 0, $0) }
            }
        }
        return poses + Array(repeating: (0, 0, 0.9), count: 2)
    }

    /// A genuine capture of `identity` answering `actions`, citing `challengeID`.
    static func evidence(challengeID: String, actions: [ChallengeAction], identity: [Float],
                         using random: inout SeededRandom, encoding base64: Bool = false) -> FaceEvidence {
        let session = model.session(of: identity, using: &random)
        let frames = poses(for: actions).enumerated().map { index, pose in
            let values = model.frame(of: session, using: &random)
            return EvidenceFrame(
                timeMilliseconds: Int64(index) * frameIntervalMilliseconds,
                embedding: base64 ? .base64(of: values) : .values(values),
                yawDegrees: pose.yaw, pitchDegrees: pose.pitch, eyesOpen: pose.eyes, padScore: 0.97)
        }
        return FaceEvidence(challengeID: challengeID, model: "sim-128", frames: frames)
    }
}

/// A policy over in-memory stores on a manual clock, with one terminal that has a key and one that
/// has none.
struct Fixture {
    static let plainTerminal = "T-PLAIN"
    static let signedTerminal = "T-SIGNED"

    let settings: LivenessSettings
    let clock = ManualWallClock()
    let challenges = InMemoryChallengeStore()
    let replayGuard: InMemoryReplayGuardStore
    let policy: LivenessPolicy
    let signingKey = DeviceSigningKey()
    var random: SeededRandom
    let identity: [Float]

    init(settings: LivenessSettings = LivenessSettings(), seed: UInt64 = 1) {
        self.settings = settings
        replayGuard = InMemoryReplayGuardStore(settings: settings)
        policy = LivenessPolicy(settings: settings, challengeStore: challenges, replayGuard: replayGuard, clock: clock)
        random = SeededRandom(seed: seed)
        identity = CaptureBuilder.model.identity(using: &random)
    }

    /// Stores a challenge with chosen actions (the issuer's are random) for `deviceID`.
    func challenge(_ actions: [ChallengeAction] = [.turnLeft, .blink], deviceID: String = Fixture.plainTerminal) async throws -> Challenge {
        let now = clock.now()
        let challenge = Challenge(id: Identifier.make(.challenge), deviceID: deviceID, actions: actions,
                                  issuedAt: now, expiresAt: now.addingTimeInterval(settings.challengeTTLSeconds))
        let inserted = try await challenges.insert(challenge, outstandingPerDeviceMax: 1000, now: now)
        precondition(inserted == .inserted)
        return challenge
    }

    /// A genuine capture answering `challenge`.
    mutating func evidence(for challenge: Challenge, identity: [Float]? = nil, base64: Bool = false) -> FaceEvidence {
        CaptureBuilder.evidence(challengeID: challenge.id, actions: challenge.actions, identity: identity ?? self.identity,
                                using: &random, encoding: base64)
    }

    /// A submission as the HTTP layer would build it; the signed terminal signs the JSON body
    /// unless `signature` overrides the header.
    func submission(_ evidence: FaceEvidence, deviceID: String = Fixture.plainTerminal,
                    signature: String?? = nil) throws -> LivenessSubmission {
        let body = Array(try JSONEncoder().encode(evidence))
        let isSigned = deviceID == Fixture.signedTerminal
        let header: String? = signature ?? (isSigned ? signingKey.signatureHeader(for: body) : nil)
        return LivenessSubmission(
            evidence: evidence, embeddingDimension: CaptureBuilder.model.dimension, deviceID: deviceID,
            deviceIsTerminal: deviceID.hasPrefix("T-"), devicePublicKey: isSigned ? signingKey.publicKey : nil,
            requestBody: body, signatureHeader: header)
    }

    func evaluate(_ evidence: FaceEvidence, deviceID: String = Fixture.plainTerminal,
                  signature: String?? = nil) async throws -> LivenessVerdict {
        try await policy.evaluate(submission(evidence, deviceID: deviceID, signature: signature))
    }
}

extension EvidenceFrame.RawEmbedding {
    var floats: [Float] {
        switch self {
        case .values(let values): return values
        case .base64(let text):
            let bytes = [UInt8](Data(base64Encoded: text) ?? Data())
            var values = [Float]()
            for offset in stride(from: 0, to: bytes.count, by: 4) {
                var bits: UInt32 = 0
                for byte in 0..<4 { bits |= UInt32(bytes[offset + byte]) << (8 * UInt32(byte)) }
                values.append(Float(bitPattern: bits))
            }
            return values
        }
    }
}
