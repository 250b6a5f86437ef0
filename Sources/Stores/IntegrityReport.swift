/// One thing the verifier found wrong, precise enough to act on.
public struct IntegrityProblem: Sendable, Equatable, Codable, CustomStringConvertible {
    /// The table holding the bad row (`audit_events`, `transfers`, `accounts`, `payments`, or
    /// `ledger` for whole-book totals).
    public let table: String
    /// The row: `seq 17` for audit events, the id for the others.
    public let row: String
    /// What was checked: `hash`, `prev_hash`, `seq`, `debits_posted`, `total_debits`, ...
    public let check: String
    public let expected: String
    public let found: String

    public init(table: String, row: String, check: String, expected: String, found: String) {
        self.table = table
        self.row = row
        self.check = check
        self.expected = expected
        self.found = found
    }

    public var description: String {
        "\(table) \(row): \(check) expected \(expected), found \(found)"
    }
}

/// The result of `IntegrityVerifier`, as `GET /v1/audit/verify` returns it:
/// `{"ok": true, "events_checked": …, "transfers_checked": …, "problems": [], "mode": "incremental",
/// "head": {"seq": …, "hash": "…"}}`. The counts are what this run checked (an incremental run
/// counts only the rows after the last verified state); `head` is the audit event it reached.
public struct IntegrityReport: Sendable, Equatable, Codable {
    public enum Mode: String, Sendable, Codable {
        /// Every row checked.
        case full
        /// Only what came after the last verified state.
        case incremental
    }

    public let ok: Bool
    public let eventsChecked: Int
    public let transfersChecked: Int
    public let problems: [IntegrityProblem]
    public let mode: Mode
    public let head: AuditHead

    enum CodingKeys: String, CodingKey {
        case ok, problems, mode, head
        case eventsChecked = "events_checked"
        case transfersChecked = "transfers_checked"
    }

    public init(eventsChecked: Int, transfersChecked: Int, problems: [IntegrityProblem], mode: Mode = .full,
                head: AuditHead = .genesis) {
        self.ok = problems.isEmpty
        self.eventsChecked = eventsChecked
        self.transfersChecked = transfersChecked
        self.problems = problems
        self.mode = mode
        self.head = head
    }
}
