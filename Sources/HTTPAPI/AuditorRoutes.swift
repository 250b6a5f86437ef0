import FacePayCore
import Foundation
import HTTPTypes
import Hummingbird
import Payments
import Stores

/// Auditor calls, read only: transfers (JSON and CSV), accounts, payments, audit events, head,
/// verify, and the receipts (signed checkpoints, signing keys, Merkle proofs). Every read runs
/// on a reader connection of the pool, never blocking the writer.
struct AuditorRoutes {
    let reader: any AuditReader
    let receipts: AuditReceipts?
    /// The counts and the event filters' index (`actor`, `customer_id`).
    let counts: (any AuditCountStore)?
    let queries: AuditorQueries

    func register(on router: Router<FacePayRequestContext>) {
        let reader = reader
        let queries = queries
        let receipts = receipts
        let events = AuditEventReads(reader: reader, counts: counts)
        let auditor = router.group("v1").add(middleware: RequireRoleMiddleware(.auditor))

        auditor.get("ledger/transfers") { request, _ in
            let page = try await reader.transfers(try queries.transferQuery(request))
            return try JSONBody.response(TransferPageWire(transfers: page.transfers.map(TransferWire.init),
                                                          nextCursor: page.nextCursor.map(String.init)))
        }
        let export = TransferCSVExport(reader: reader, pageRows: queries.limits.pageSizeMax)
        auditor.get("ledger/transfers.csv") { request, _ in
            // Without a limit the export is the whole filtered ledger, streamed page by page.
            try await export.response(try queries.transferQuery(request, defaultLimit: queries.limits.pageSizeMax),
                                wantsAll: request.uri.queryParameters["limit"] == nil)
        }
        auditor.get("ledger/accounts/:id") { _, context in
            let id = try context.parameters.require("id")
            guard let account = try await reader.account(id: id) else {
                throw FacePayError(.notFound, code: "not_found", detail: "no account \(id)")
            }
            return try JSONBody.response(AccountWire(account))
        }
        auditor.get("audit/events") { request, _ in
            let page = try await events.page(try queries.auditEventQuery(request))
            return try JSONBody.response(AuditEventPageWire(events: page.events.map(AuditEventWire.init),
                                                            nextCursor: page.nextCursor.map(String.init)))
        }
        auditor.get("audit/head") { _, _ in
            try JSONBody.response(try await reader.auditHead() ?? AuditHead.genesis)
        }
        auditor.get("audit/verify") { _, _ in
            // Incremental: only what was written since the last verified state (see IntegrityVerifier).
            try JSONBody.response(try await reader.verifyIntegrity(newSinceLastRun: 1000))
        }
        auditor.get("audit/checkpoint") { _, _ in
            try JSONBody.response(try await Self.require(receipts).checkpoint())
        }
        auditor.get("audit/keys") { _, _ in
            try JSONBody.response(AuditKeysWire(try Self.require(receipts).publicKeys))
        }
        auditor.get("audit/proof") { request, _ in
            let query = AuditorQueries.parameters(request)
            let proof = try await Self.require(receipts).proof(from: try queries.count(query, "from"), event: try queries.count(query, "event"))
            return try JSONBody.response(AuditProofWire(proof))
        }
    }

    /// The receipts, or 503 when the server has no signing key configured.
    static func require(_ receipts: AuditReceipts?) throws -> AuditReceipts {
        guard let receipts else {
            throw FacePayError(.unavailable, code: "receipts_unavailable", detail: "this server has no audit signing key configured")
        }
        return receipts
    }
}
