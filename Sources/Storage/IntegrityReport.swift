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
/// `{"ok": true, "events_checked": …, "transfers_checked": …, "problems": []}`.
public struct IntegrityReport: Sendable, Equatable, Codable {
    public let ok: Bool
    public let eventsChecked: Int
    public let transfersChecked: Int
    public let problems: [IntegrityProblem]

    enum CodingKeys: String, CodingKey {
        case ok, problems
        case eventsChecked = "events_checked"
        case transfersChecked = "transfers_checked"
    }

    public init(eventsChecked: Int, transfersChecked: Int, problems: [IntegrityProblem]) {
        self.ok = problems.isEmpty
        self.eventsChecked = eventsChecked
        self.transfersChecked = transfersChecked
        self.problems = problems
    }
}
