import FacePayCore
import Foundation

/// Issues challenges: random actions from the system CSPRNG (a challenge an attacker could predict
/// could be answered by a recording), bound to the asking device, stored before they are returned.
public struct ChallengeIssuer: Sendable {
    public let settings: LivenessSettings
    public let store: any ChallengeStore
    public let clock: any WallClock

    public init(settings: LivenessSettings, store: any ChallengeStore, clock: any WallClock) {
        settings.validate()
        self.settings = settings
        self.store = store
        self.clock = clock
    }

    /// Creates and stores a new challenge for `deviceID`. Throws 429 `too_many_challenges` when the
    /// device already holds `challengesOutstandingPerDeviceMax` unused, unexpired challenges.
    public func issue(deviceID: String) async throws -> Challenge {
        let challenge = Self.makeChallenge(deviceID: deviceID, now: clock.now(), ttlSeconds: settings.challengeTTLSeconds)
        let insertion = try await store.insert(
            challenge, outstandingPerDeviceMax: settings.challengesOutstandingPerDeviceMax, now: challenge.issuedAt)
        switch insertion {
        case .inserted:
            return challenge
        case .tooManyOutstanding:
            throw FacePayError(.tooManyRequests, code: "too_many_challenges",
                               detail: "this device already holds \(settings.challengesOutstandingPerDeviceMax) unanswered challenges")
        }
    }

    /// A fresh challenge, not stored. Two distinct actions out of five in random order: 20 equally
    /// likely sequences, so a blind pre-recorded answer fits with probability 1/20.
    public static func makeChallenge(deviceID: String, now: Date, ttlSeconds: Double) -> Challenge {
        var generator = SystemRandomNumberGenerator()
        let actions = Array(ChallengeAction.allCases.shuffled(using: &generator).prefix(Challenge.actionCount))
        return Challenge(
            id: Identifier.make(.challenge), deviceID: deviceID, actions: actions,
            issuedAt: now, expiresAt: now.addingTimeInterval(ttlSeconds))
    }
}
