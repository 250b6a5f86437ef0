import Liveness

/// The presentation and injection attacks the simulator mounts (ISO/IEC 30107-3 calls a family a
/// presentation attack instrument species). Each is generated as an adversary would, at their best:
/// see `AttackCaptureGenerator` and LIVENESS.md for the model of each.
public enum AttackFamily: String, Sendable, Codable, CaseIterable {
    /// A printed photo of the victim held to the camera: flat pose, no blink, low PAD.
    case printedPhoto = "printed_photo"
    /// A recorded video of the victim doing the asked actions played on a screen to an honest
    /// device: motion right, embeddings fresh, PAD low.
    case screenReplay = "screen_replay"
    /// The exact frames of a capture the server accepted before, injected under a new challenge
    /// that asks the same actions (the adversary asks until it does), from a device with no key.
    case replayedCapture = "replayed_capture"
    /// A terminal that kept a customer's approved capture sends it again under a fresh challenge
    /// asking other actions, signed with its own key: the pose signals re-timed for the new
    /// actions, the recorded embeddings in order with noise of 1e-5, 1e-4, 1e-3 or 3e-3 per
    /// component (attempts cycle through them), forged PAD.
    case nudgedReplay = "nudged_replay"
    /// A capture answering a challenge that was issued to another device (relay).
    case foreignDevice = "foreign_device"
    /// A fresh capture citing a challenge that has already been used.
    case usedChallenge = "used_challenge"
    /// A capture sent after its challenge expired (a delayed relay).
    case expiredChallenge = "expired_challenge"
    /// A capture in which at least one asked action never happens.
    case actionsMissing = "actions_missing"
    /// A capture doing the asked actions in the reverse order.
    case actionsOutOfOrder = "actions_out_of_order"
    /// The adversary's own live face for the actions, the victim's embeddings injected from
    /// the middle of the capture on.
    case faceSwap = "face_swap"
    /// One still embedding of the victim repeated (exactly, or with a little noise), with forged
    /// motion and PAD.
    case staticFrames = "static_frames"
    /// Perfectly forged frames injected on behalf of a device that has a signing key, without the
    /// key: no signature, another key's, or the device's signature of a different body.
    case unsignedInjection = "unsigned_injection"

    /// The checks this family is built to trip; every attempt must fail at least one of them.
    public var expectedChecks: Set<LivenessCheckName> {
        switch self {
        case .printedPhoto: [.padScoreLow, .actionMissing]
        case .screenReplay: [.padScoreLow]
        case .replayedCapture, .nudgedReplay: [.frameReplayed]
        case .foreignDevice: [.challengeOtherDevice]
        case .usedChallenge: [.challengeUsed]
        case .expiredChallenge: [.challengeExpired]
        case .actionsMissing: [.actionMissing]
        // A reversed sequence whose natural motion also fell short is reported missing (missing
        // wins over out of order).
        case .actionsOutOfOrder: [.actionOutOfOrder, .actionMissing]
        case .faceSwap: [.identityInconsistent]
        case .staticFrames: [.framesIdentical]
        case .unsignedInjection: [.signatureMissing, .signatureInvalid]
        }
    }
}
