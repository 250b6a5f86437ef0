import FacePayCore
import Stores

/// The one way the auditor's calls and the console read audit events and the overview's counts:
/// a device or customer filter, and the overview, first fold what the log gained since the last
/// read into the counts and the filters' index (`AuditCounts`), so the numbers and the filtered
/// rows miss nothing written before the request.
struct AuditEventReads {
    let reader: any AuditReader
    /// Nil only in tests of pages that need neither the counts nor the filters.
    let counts: (any AuditCountStore)?

    /// Events folded per request at most; a larger backlog (after a long load with nobody
    /// looking) is folded over the next requests, which answer 503 `audit_index_behind` until then.
    static let foldMax = 200_000

    func page(_ query: AuditEventQuery) async throws -> AuditEventPage {
        // Only the device and customer filters need the index.
        guard !query.keys.isEmpty else { return try await reader.auditEvents(query) }
        return try await AuditCounts.events(query, counts: try requireCounts(), reader: reader, eventsMax: Self.foldMax)
    }

    /// The counts, caught up (as far as `foldMax` allows: the overview says how far it got).
    func caughtUpCounts() async throws -> any AuditCountStore {
        let counts = try requireCounts()
        try await AuditCounts.catchUp(counts, reader: reader, eventsMax: Self.foldMax)
        return counts
    }

    private func requireCounts() throws -> any AuditCountStore {
        guard let counts else {
            throw FacePayError(.unavailable, code: "audit_index_unavailable", detail: "this server keeps no audit counts or event index")
        }
        return counts
    }
}
