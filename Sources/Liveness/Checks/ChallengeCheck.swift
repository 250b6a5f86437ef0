/// The challenge exists, is this device's, unused and unexpired; this request consumed it.
public struct ChallengeCheck: LivenessCheck {
    public init() {}

    public var failureNames: [LivenessCheckName] {
        [.challengeUnknown, .challengeOtherDevice, .challengeUsed, .challengeExpired]
    }

    public func check(_ context: LivenessContext) -> LivenessCheckVerdict {
        switch context.consumption {
        case .consumed: .pass
        case .unknown: .fail(.challengeUnknown)
        case .otherDevice: .fail(.challengeOtherDevice)
        case .alreadyUsed: .fail(.challengeUsed)
        case .expired: .fail(.challengeExpired)
        }
    }
}
