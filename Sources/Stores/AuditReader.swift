import Ledger

/// What an auditor reads: transfers, accounts and the audit log, and the integrity check over
/// them. Reads only (the incremental check may advance its own bookmark, never a row).
public protocol AuditReader: Sendable {
    func transfers(_ query: TransferQuery) async throws -> TransferPage
    func account(id: String) async throws -> Account?
    func auditEvents(_ query: AuditEventQuery) async throws -> AuditEventPage
    /// The last event's seq and hash; nil for an empty log.
    func auditHead() async throws -> AuditHead?
    /// Verifies what was written since the last clean run, at most `problemsMax` problems listed.
    func verifyIntegrity(newSinceLastRun problemsMax: Int) async throws -> IntegrityReport
}
