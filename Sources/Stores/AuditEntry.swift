import Foundation

/// An audit event to append: who did what to what, and its non-biometric facts. The store gives
/// it its place in the chain (seq, time, hashes).
public struct AuditEntry: Sendable, Equatable {
    public let actor: String
    public let action: String
    public let subject: String
    public let detail: [String: CanonicalJSON]

    public init(actor: String, action: String, subject: String, detail: [String: CanonicalJSON]) {
        self.actor = actor
        self.action = action
        self.subject = subject
        self.detail = detail
    }
}

/// What failed attempts leave behind, written in the transaction of the decision they belong to:
/// the failures counted against the attempt budgets, the audit events of the locks and step-ups
/// they engaged, and (now and then) the horizon before which the failure log is pruned.
public struct FailedAttempts: Sendable, Equatable {
    public var failures: [AttemptFailure]
    public var audits: [AuditEntry]
    public var pruneBefore: Date?

    public init(failures: [AttemptFailure] = [], audits: [AuditEntry] = [], pruneBefore: Date? = nil) {
        self.failures = failures
        self.audits = audits
        self.pruneBefore = pruneBefore
    }

    public static let none = FailedAttempts()
}
