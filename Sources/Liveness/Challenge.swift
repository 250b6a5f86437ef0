import FacePayCore
import Foundation

/// A single-use liveness challenge, bound to the device that asked for it.
public struct Challenge: Sendable, Equatable, Hashable {
    /// Number of actions in every challenge (SPEC: two distinct actions).
    public static let actionCount = 2

    /// `chl_…`
    public let id: String
    public let deviceID: String
    /// Distinct actions, in the order they must happen.
    public let actions: [ChallengeAction]
    public let issuedAt: Date
    public let expiresAt: Date
    /// Set once, by `ChallengeStore.consume`.
    public var usedAt: Date?

    public init(id: String, deviceID: String, actions: [ChallengeAction], issuedAt: Date, expiresAt: Date, usedAt: Date? = nil) {
        precondition(Identifier.isWellFormed(id, .challenge), "challenge id must be chl_…")
        precondition(!actions.isEmpty && Set(actions).count == actions.count, "actions must be distinct")
        precondition(expiresAt > issuedAt, "a challenge must expire after it is issued")
        self.id = id
        self.deviceID = deviceID
        self.actions = actions
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
        self.usedAt = usedAt
    }

    /// Expired at and after `expiresAt`.
    public func isExpired(at now: Date) -> Bool { now >= expiresAt }

    /// The wire form of `actions` (`["turn_left", "blink"]`), as stored and returned.
    public var actionNames: [String] { actions.map(\.rawValue) }
}
