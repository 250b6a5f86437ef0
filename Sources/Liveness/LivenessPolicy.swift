import Biometrics
import FacePayCore
import Foundation

/// Decides whether face evidence is live: gathers the facts once (validates embeddings, consumes
/// the challenge, records every frame with the replay guard), then runs every check and lists each
/// one that failed. Not live is a verdict, never an error.
///
/// Order of effects, and why:
/// 1. Bound and validate (400 `invalid_embedding` is thrown before anything is stored or consumed:
///    a malformed request is not an attempt).
/// 2. Consume the challenge, whatever else is wrong: any well-formed attempt uses it up, so an
///    attacker cannot iterate on one challenge.
/// 3. Screen every frame's code against earlier captures and remember it, accepted or not, so a
///    capture cannot come back later, exactly or nudged.
/// 4. Run all checks; the verdict lists every failure in `LivenessCheckName` order.
/// Above `framesMax` frames, steps 1 and 3 are skipped for embeddings (the request is failed
/// `too_many_frames` without paying for validation); metadata checks still run.
///
/// The caller (HTTP layer) checks `LockoutTracker.isLocked` before, and calls `recordFailure`
/// after a not-live verdict.
public struct LivenessPolicy: Sendable {
    public let settings: LivenessSettings
    public let challengeStore: any ChallengeStore
    public let replayGuard: any ReplayGuardStore
    public let clock: any WallClock
    public let checks: [any LivenessCheck]

    public init(settings: LivenessSettings, challengeStore: any ChallengeStore, replayGuard: any ReplayGuardStore,
                clock: any WallClock, checks: [any LivenessCheck]? = nil) {
        settings.validate()
        self.settings = settings
        self.challengeStore = challengeStore
        self.replayGuard = replayGuard
        self.clock = clock
        self.checks = checks ?? Self.defaultChecks(settings: settings)
    }

    /// Every check of SPEC.md, each failing with its own names.
    public static func defaultChecks(settings: LivenessSettings) -> [any LivenessCheck] {
        [
            ChallengeCheck(),
            FrameCountCheck(settings: settings),
            TimestampOrderCheck(),
            CaptureSpanCheck(settings: settings),
            ActionSequenceCheck(settings: settings),
            IdentityConsistencyCheck(settings: settings),
            IdenticalFramesCheck(settings: settings),
            ReplayCheck(settings: settings),
            PresentationAttackCheck(settings: settings),
            DeviceSignatureCheck(settings: settings),
        ]
    }

    /// Throws `FacePayError` `invalid_embedding` for malformed embeddings, and whatever the stores
    /// throw; otherwise returns the verdict.
    public func evaluate(_ submission: LivenessSubmission) async throws -> LivenessVerdict {
        let evidence = submission.evidence
        precondition(evidence.frames.count <= FaceEvidence.framesDecodedMax, "FaceEvidence decoding bounds frames")

        // 1. Bound, then validate: heavy per-frame work only for a plausible frame count.
        var embeddings: [Embedding]?
        if evidence.frames.count <= settings.framesMax {
            embeddings = try evidence.validatedEmbeddings(dimension: submission.embeddingDimension)
        }

        let now = clock.now()

        // 2. Consume the challenge. A malformed id cannot name a challenge; don't query for it.
        let consumption: ChallengeConsumption
        if Identifier.isWellFormed(evidence.challengeID, .challenge) {
            consumption = try await challengeStore.consume(id: evidence.challengeID, deviceID: submission.deviceID, now: now)
        } else {
            consumption = .unknown
        }

        // 3. Screen and remember every frame (frames of this capture are not compared with each
        // other: that is `frames_identical`'s business).
        var screening: ReplayScreening?
        if let embeddings, !embeddings.isEmpty {
            screening = try await replayGuard.screen(replayGuard.coder.codes(of: embeddings), challengeID: evidence.challengeID, now: now)
        }

        // 4. Every check, every failure.
        let context = LivenessContext(
            settings: settings, submission: submission, consumption: consumption,
            embeddings: embeddings, replayNearFrames: screening?.nearFrames ?? 0)
        var failed = Set<LivenessCheckName>()
        for check in checks {
            if case .fail(let name) = check.check(context) {
                precondition(check.failureNames.contains(name), "a check fails only with its own names")
                failed.insert(name)
            }
        }
        if failed.isEmpty {
            // Every default check passed, so the challenge was consumed and frames were validated;
            // a custom check list that omits ChallengeCheck/FrameCountCheck is a programmer error.
            guard case .consumed(let challenge) = consumption, let embeddings, let screening else {
                preconditionFailure("a passing check list must include ChallengeCheck and FrameCountCheck")
            }
            return .live(LiveCapture(challenge: challenge, frameEmbeddings: embeddings, captureID: screening.captureID))
        }
        return .notLive(failedChecks: failed.sorted())
    }
}
