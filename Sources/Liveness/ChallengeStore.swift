import Foundation

/// What happened when a challenge was presented for use. Exactly one caller ever gets `.consumed`
/// for a given challenge.
public enum ChallengeConsumption: Sendable, Equatable {
    /// The challenge was unused, unexpired and this device's; it is now marked used.
    case consumed(Challenge)
    /// No such challenge (never issued, or purged).
    case unknown
    /// Issued to another device. Checked before used/expired so a device learns nothing about the
    /// state of another device's challenge. Not marked used: a stolen id must not let one device
    /// burn another's challenge.
    case otherDevice
    /// This device's, already used (by an earlier or a concurrent request). Carries the challenge
    /// so the other checks can still be evaluated and listed.
    case alreadyUsed(Challenge)
    /// This device's, unused but past `expiresAt`. Carries the challenge, as above.
    case expired(Challenge)
}

public enum ChallengeInsertion: Sendable, Equatable {
    case inserted
    /// The device already holds the maximum of unused, unexpired challenges; nothing was stored.
    case tooManyOutstanding
}

/// Where challenges live, so they survive a restart. The lead's SQLite implementation:
///
///     insert:   BEGIN IMMEDIATE;
///               SELECT COUNT(*) FROM challenges WHERE device_id = ? AND used_at IS NULL AND expires_at > ?;
///               INSERT INTO challenges (id, device_id, actions, issued_at, expires_at) VALUES (…); COMMIT
///     consume:  UPDATE challenges SET used_at = :now
///                WHERE id = :id AND device_id = :device AND used_at IS NULL AND expires_at > :now
///               RETURNING actions, issued_at, expires_at;
///               -- one row: .consumed. No row: SELECT * FROM challenges WHERE id = :id and classify
///               -- (unknown → otherDevice → alreadyUsed → expired, in that order).
///
/// The single conditional UPDATE is what makes two racing consumers safe: only one of them can
/// change `used_at` from NULL.
public protocol ChallengeStore: Sendable {
    /// Stores a new challenge unless its device already holds `outstandingPerDeviceMax` unused,
    /// unexpired ones (the count and the insert are one transaction).
    func insert(_ challenge: Challenge, outstandingPerDeviceMax: Int, now: Date) async throws -> ChallengeInsertion

    /// Atomically marks the challenge used if it is this device's, unused and unexpired at `now`.
    func consume(id: String, deviceID: String, now: Date) async throws -> ChallengeConsumption

    /// Forgets challenges that expired before `cutoff`; returns how many. Run periodically with a
    /// cutoff some time in the past (a used challenge then answers `unknown` instead of `used`,
    /// which fails just the same).
    func deleteExpired(before cutoff: Date) async throws -> Int
}
