import GRDB
import Stores

/// Check 1: the audit hash chain after a verified head — seq contiguous, each `prev_hash` equal to
/// the previous row's `hash`, each `hash` recomputed. From the genesis head it is the whole chain.
enum AuditChainCheck {
    static let columns = "SELECT seq, event_id, time, actor, action, subject, detail, prev_hash, hash FROM audit_events"

    /// Checks every event after `head`; returns the new head (the last event read) and the count.
    static func run(_ context: IntegrityCheckContext, after head: AuditHead) throws -> (head: AuditHead, checked: Int) {
        if head.seq > 0 {
            // The verified head itself is where the chain resumes: an edited or deleted head row
            // would otherwise let a rewritten tail hang from a hash nobody checks again.
            if let row = try context.firstRow("\(columns) WHERE seq = ?", [head.seq]) {
                let event = AuditLog.event(from: row)
                if event.hash != head.hash {
                    context.report("audit_events", "seq \(head.seq)", "hash", expected: "\(head.hash) (last verified head)", found: event.hash)
                }
                let recomputed = AuditChain.hash(prevHash: event.prevHash, canonicalForm: event.canonicalForm)
                if recomputed != event.hash {
                    context.report("audit_events", "seq \(head.seq)", "hash", expected: recomputed, found: event.hash)
                }
            } else {
                context.report("audit_events", "seq \(head.seq)", "row", expected: "present (last verified head)", found: "missing")
            }
        }
        var expectedSeq = head.seq + 1
        var previousHash = head.hash
        var last = head
        var checked = 0
        try context.forEachRow("\(columns) WHERE seq > ? ORDER BY seq", [head.seq]) { row in
            let event = AuditLog.event(from: row)
            let name = "seq \(event.seq)"
            if event.seq != expectedSeq {
                context.report("audit_events", name, "seq", expected: "\(expectedSeq)", found: "\(event.seq)")
            }
            if event.prevHash != previousHash {
                context.report("audit_events", name, "prev_hash", expected: previousHash, found: event.prevHash)
            }
            let recomputed = AuditChain.hash(prevHash: event.prevHash, canonicalForm: event.canonicalForm)
            if recomputed != event.hash {
                context.report("audit_events", name, "hash", expected: recomputed, found: event.hash)
            }
            previousHash = event.hash
            expectedSeq = event.seq + 1
            last = AuditHead(seq: event.seq, hash: event.hash)
            checked += 1
        }
        return (last, checked)
    }
}
