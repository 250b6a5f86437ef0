import FacePayCore
import Foundation

/// The audit events an operator's command records on its own, outside any other write: the
/// rotation of a template key (`facepay keys rotate`) or of the audit signing key (`facepay
/// audit key --rotate`). The keys live in files outside the database, so without these events
/// the log would not say when a key changed; the overview counts them.
public protocol OperatorAuditLog: Sendable {
    /// Appends `entry` to the chain in a transaction of its own.
    @discardableResult
    func recordOperatorEvent(_ entry: AuditEntry, now: Date) async throws -> AuditEvent
}

/// What each operator event says (one place for the rule; LEDGER.md lists the actions). Key ids
/// only: a key's public half is in `GET /v1/audit/keys`, its secret never leaves its file.
public enum OperatorEvents {
    public static let templateKeyRotated = "template_key.rotated"
    public static let auditKeyRotated = "audit_key.rotated"

    public static func templateKeyRotation(newKeyID: String, previousKeyID: String) -> AuditEntry {
        AuditEntry(actor: LedgerEvents.operatorActor, action: templateKeyRotated, subject: newKeyID,
                   detail: ["key_id": .string(newKeyID), "previous_key_id": .string(previousKeyID)])
    }

    /// `previousKeyID` nil: the first key of a new key file.
    public static func auditKeyRotation(newKeyID: String, previousKeyID: String?) -> AuditEntry {
        AuditEntry(actor: LedgerEvents.operatorActor, action: auditKeyRotated, subject: newKeyID,
                   detail: ["key_id": .string(newKeyID), "previous_key_id": .optional(previousKeyID)])
    }
}
