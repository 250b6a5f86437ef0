import FacePayCore
import Foundation
import Ledger

/// A template a decision used: the customer, the model, and the capture whose replay codes
/// become that customer's (so erasing them forgets it too).
public struct TemplateUse: Sendable, Equatable {
    public let customerID: String
    public let modelID: String
    public let captureID: Int64?

    public init(customerID: String, modelID: String, captureID: Int64?) {
        self.customerID = customerID
        self.modelID = modelID
        self.captureID = captureID
    }

    /// A template's last use is recorded at most once per this period (a payment rewrites the row
    /// only when its last use is older): the retention purge needs days, not every payment.
    public static let resolutionSeconds: TimeInterval = 86_400

    /// Whether a last use stored as `lastUsedAt` (RFC 3339 text, as the stores keep it) is old
    /// enough to be rewritten at `now`: the same comparison the stores' UPDATE makes.
    public static func isStale(_ lastUsedAt: String, now: Date) -> Bool {
        lastUsedAt < now.addingTimeInterval(-resolutionSeconds).rfc3339
    }
}

/// Everything an enrolment stores: the customer with their consent, the wallet and its initial
/// deposit, and the template (sealed by the store, with the key ring current inside the
/// transaction).
public struct NewEnrolment: Sendable {
    public let customerID: String
    public let fullName: String
    public let phoneE164: String
    public let consentVersion: String
    public let kioskID: String
    public let initialDeposit: Money
    public let template: [Float]
    public let modelID: String
    public let captureID: Int64

    public init(customerID: String, fullName: String, phoneE164: String, consentVersion: String, kioskID: String,
                initialDeposit: Money, template: [Float], modelID: String, captureID: Int64) {
        self.customerID = customerID
        self.fullName = fullName
        self.phoneE164 = phoneE164
        self.consentVersion = consentVersion
        self.kioskID = kioskID
        self.initialDeposit = initialDeposit
        self.template = template
        self.modelID = modelID
        self.captureID = captureID
    }
}

/// The customers and their face templates. Templates are sealed at rest by the store; nothing
/// biometric comes back out of these calls.
public protocol CustomerStore: Sendable {
    func customer(id: String) async throws -> Customer?

    /// One transaction: wallet, customer, sealed template, the capture attributed, the
    /// `customer.enrolled` event, the initial deposit when positive (`respond` gets its outcome;
    /// throwing there undoes the whole enrolment), the idempotency record.
    func enrol(_ enrolment: NewEnrolment, frame: IdempotencyFrame,
               respond: @escaping @Sendable (Account, LedgerOutcome<Transfer>?) throws -> StoredResponse) async throws -> IdempotentResponse

    /// One transaction: every template row of the customer deleted, the replay codes of their
    /// captures (this one attributed first) deleted, the erasure time set, the
    /// `customer.biometrics_erased` event, the idempotency record. Returns the capture ids whose
    /// in-memory replay codes are to be forgotten (none when the answer was replayed).
    func eraseBiometrics(customerID: String, captureID: Int64, frame: IdempotencyFrame,
                         respond: @escaping @Sendable (_ rowsDeleted: Int) throws -> StoredResponse) async throws
        -> (response: IdempotentResponse, forgottenCaptures: Set<Int64>)

    /// What an erasure must still do after its commit for the deletion to be final on disk and to
    /// survive a restore of an older backup; false while that cannot complete yet (retry).
    func completeErasure(customerID: String, erasedAt: Date, attemptsMax: Int) async throws -> Bool

    /// A face decision that stores no answer (verifications, refused enrolments and erasures):
    /// its audit event, the failed attempts, and the template it used.
    func recordFaceAttempt(_ audit: AuditEntry?, attempts: FailedAttempts, used: TemplateUse?, now: Date) async throws

    /// Customers with a template unused since `cutoff`, oldest use first.
    func customersWithTemplatesUnused(since cutoff: Date, limit: Int) async throws -> [String]

    /// Deletes those customers' templates still unused since `cutoff`, each purge audited
    /// (`customer.template_purged`), in one transaction.
    func purgeTemplates(of customerIDs: [String], unusedSince cutoff: Date, now: Date) async throws

    /// Makes deletions final on disk (SQLite: a WAL checkpoint).
    func compactAfterDeletion() async throws
}
