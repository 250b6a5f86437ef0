/// Check 7: the triggers that keep transfers and audit events immutable are still there — a dropped
/// trigger is how rows get edited behind our back. A handful of rows of `sqlite_master`, so every
/// run checks them, incremental or not.
enum ImmutabilityTriggersCheck {
    static let triggers = ["transfers_no_update", "transfers_no_delete", "audit_events_no_update", "audit_events_no_delete"]

    static func run(_ context: IntegrityCheckContext) throws {
        var present: Set<String> = []
        try context.forEachRow("SELECT name FROM sqlite_master WHERE type = 'trigger'") { present.insert($0[0]) }
        for name in triggers where !present.contains(name) {
            context.report("sqlite_master", name, "trigger", expected: "present", found: "missing")
        }
    }
}
