import Foundation

extension AuditChain {
    /// Why `event` does not follow in the chain as the event of seq `seq` after an event whose
    /// hash is `previousHash`, or nil when it does: it has that seq, links to that hash, and
    /// hashes to its stored hash. The one rule every walk of the chain applies (verify up to
    /// here, the signer's `VerifiedLog`, `audit verify --receipts`).
    public static func problem(with event: AuditEvent, seq: Int64, previousHash: String) -> String? {
        guard event.seq == seq else { return "event \(seq) is missing (the next is \(event.seq))" }
        guard event.prevHash == previousHash else {
            return "event \(event.seq) does not link to event \(event.seq - 1): its prev_hash is not that event's hash"
        }
        guard hash(prevHash: event.prevHash, canonicalForm: event.canonicalForm) == event.hash else {
            return "event \(event.seq) does not hash to its stored hash: it was changed after it was written"
        }
        return nil
    }

    /// Why the chain does not hold from its first event through event `seq`, or nil when every
    /// event of 1…seq is there, in order, linked to the one before and hashing to its hash. The
    /// console's "verify up to here": it reads `seq` events, a page at a time.
    public static func firstBreak(in reader: any AuditReader, through seq: Int64, pageSize: Int = 1_000) async throws -> String? {
        var previousHash = AuditHead.genesisHash
        var expected: Int64 = 1
        while expected <= seq {
            let page = try await reader.auditEvents(AuditEventQuery(afterSeq: expected - 1, limit: min(pageSize, Int(seq - expected + 1))))
            guard !page.events.isEmpty else { return "the log ends at event \(expected - 1)" }
            for event in page.events {
                if let problem = problem(with: event, seq: expected, previousHash: previousHash) { return problem }
                previousHash = event.hash
                expected += 1
            }
        }
        return nil
    }
}
