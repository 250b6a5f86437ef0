import FacePayCore
import Foundation
import Liveness

/// A device as the simulator's in-process server knows it.
public struct SimulatedDevice: Sendable {
    public let id: String
    public let isTerminal: Bool
    /// The device's key; its public half is "registered" with the in-process server.
    public let signingKey: DeviceSigningKey?

    public init(id: String, isTerminal: Bool, signingKey: DeviceSigningKey?) {
        self.id = id
        self.isTerminal = isTerminal
        self.signingKey = signingKey
    }
}

/// The liveness half of the server, in process: the real `ChallengeIssuer` and `LivenessPolicy`
/// over in-memory stores and a `ManualWallClock`, with the wire step included (request bodies are
/// JSON bytes decoded with `FaceEvidence`'s decoder, signatures checked over those bytes).
public struct InProcessLivenessService: Sendable {
    public let settings: LivenessSettings
    public let clock: ManualWallClock
    public let challengeStore: InMemoryChallengeStore
    public let replayGuard: InMemoryReplayGuardStore
    public let issuer: ChallengeIssuer
    public let policy: LivenessPolicy
    public let devices: [String: SimulatedDevice]
    public let embeddingDimension: Int

    public init(settings: LivenessSettings = LivenessSettings(), devices: [SimulatedDevice], embeddingDimension: Int = 128,
                clock: ManualWallClock = ManualWallClock()) {
        self.settings = settings
        self.clock = clock
        challengeStore = InMemoryChallengeStore()
        replayGuard = InMemoryReplayGuardStore(settings: settings)
        issuer = ChallengeIssuer(settings: settings, store: challengeStore, clock: clock)
        policy = LivenessPolicy(settings: settings, challengeStore: challengeStore, replayGuard: replayGuard, clock: clock)
        self.devices = Dictionary(devices.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        self.embeddingDimension = embeddingDimension
    }

    /// `POST /v1/challenges` for `deviceID`.
    public func issueChallenge(deviceID: String) async throws -> Challenge {
        try await issuer.issue(deviceID: deviceID)
    }

    /// Stores a challenge with chosen actions, as if the issuer had drawn them: models an adversary
    /// who keeps asking until the actions suit a recording they hold (their best case).
    public func issueChallenge(deviceID: String, actions: [ChallengeAction]) async throws -> Challenge {
        let now = clock.now()
        let challenge = Challenge(id: Identifier.make(.challenge), deviceID: deviceID, actions: actions,
                                  issuedAt: now, expiresAt: now.addingTimeInterval(settings.challengeTTLSeconds))
        let insertion = try await challengeStore.insert(
            challenge, outstandingPerDeviceMax: settings.challengesOutstandingPerDeviceMax, now: now)
        guard insertion == .inserted else {
            throw FacePayError(.tooManyRequests, code: "too_many_challenges", detail: "simulated device holds too many challenges")
        }
        return challenge
    }

    /// What the HTTP layer does with a request carrying face evidence: decode the body, look up the
    /// device, evaluate. Throws for malformed bodies (400), as the server would.
    public func submit(_ request: SignedRequestBody, deviceID: String) async throws -> LivenessVerdict {
        guard let device = devices[deviceID] else { preconditionFailure("unknown simulated device \(deviceID)") }
        let evidence: FaceEvidence
        do {
            evidence = try JSONDecoder().decode(FaceEvidence.self, from: Data(request.body))
        } catch let error as DecodingError {
            throw FacePayError(decoding: error, fieldPrefix: "face")
        }
        let submission = LivenessSubmission(
            evidence: evidence, embeddingDimension: embeddingDimension, deviceID: device.id,
            deviceIsTerminal: device.isTerminal, devicePublicKey: device.signingKey?.publicKey,
            requestBody: request.body, signatureHeader: request.signatureHeader)
        return try await policy.evaluate(submission)
    }
}
