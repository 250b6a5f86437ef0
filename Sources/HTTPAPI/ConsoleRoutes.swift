import FacePayCore
import Foundation
import HTTPTypes
import Hummingbird
import Ledger
import Payments
import Stores

/// `GET /console`: the auditor's read-only web console over the same data as the JSON calls —
/// integrity badge and audit head, transfers with the filters and cursor of
/// `/v1/ledger/transfers` (headed by the account's balances when `account_id` names one), audit
/// events with an action filter and their own cursor.
///
/// Server-rendered HTML without any script. Query values are parsed by `AuditorQueries`, so a
/// bad value is the same 400 problem+json as on the JSON calls (the page is never half-drawn).
struct ConsoleRoutes {
    let reader: any AuditReader
    let receipts: AuditReceipts?
    /// The overview's pre-aggregated counts (nil: the overview is not served, tests of the ledger page only).
    let counts: (any AuditCountStore)?
    var events: AuditEventReads { AuditEventReads(reader: reader, counts: counts) }
    let queries: AuditorQueries
    let clock: any WallClock
    let time: ConsoleTime

    /// No script, style only inline, nothing loaded from anywhere: whatever slipped into a value
    /// could not run even if escaping failed. Exactly the policy the console's contract names.
    static let contentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'"
    static let frameOptionsHeader = HTTPField.Name("X-Frame-Options")!
    static let referrerPolicyHeader = HTTPField.Name("Referrer-Policy")!

    func register(on router: Router<FacePayRequestContext>) {
        let console = self
        let group = router.group("console").add(middleware: RequireRoleMiddleware(.auditor))
        group.get { request, context in
            try await console.overview(request, device: try context.requireDevice())
        }
        group.get("ledger") { request, context in
            try await console.page(request, device: try context.requireDevice())
        }
        group.get("events/:seq") { request, context in
            try await console.event(request, seq: try context.parameters.require("seq"), device: try context.requireDevice())
        }
    }

    func event(_ request: Request, seq text: String, device: Device) async throws -> Response {
        let parameters = AuditorQueries.parameters(request)
        guard let seq = try queries.count(["seq": text], "seq"), seq >= 1 else {
            throw FacePayError.invalidField("seq", "must be an event's seq, 1 or more")
        }
        let verify = parameters["verify"] == "1"
        // The event and the one before it (which a tampered log may lack: the page then says so).
        let page = try await reader.auditEvents(AuditEventQuery(afterSeq: max(0, seq - 2), limit: 2)).events
        guard let event = page.first(where: { $0.seq == seq }) else {
            throw FacePayError(.notFound, code: "not_found", detail: "no audit event \(seq)")
        }
        let previous = page.first { $0.seq == seq - 1 }
        // The proof's checkpoint is the one the page shows: one signature per view.
        let proof = try await receipts?.proof(from: nil, event: seq)
        let verification: String?? = verify ? .some(try await AuditChain.firstBreak(in: reader, through: seq)) : nil
        let html = ConsoleEventPage(device: device, integrity: try await integrity(checkpoint: proof?.checkpoint).html, time: time, event: event,
                                    previous: previous, proof: proof, verification: verification).render()
        return Self.htmlResponse(html)
    }

    func overview(_ request: Request, device: Device) async throws -> Response {
        let parameters = AuditorQueries.parameters(request)
        let period = try ConsoleOverview.Period.parse(parameters, values: queries, now: clock.now())
        // The events written since the last view are folded first (their number, not the ledger's, is the cost).
        let counts = try await events.caughtUpCounts()
        let overview = ConsoleOverview(period: period, rows: try await counts.auditCounts(firstHour: period.firstHour, lastHour: period.lastHour))
        let page = ConsoleOverviewPage(device: device, overview: overview, integrity: try await integrity().html, time: time)
        return Self.htmlResponse(page.render())
    }

    /// The badge, the head and a signed checkpoint (`checkpoint`, else one signed now), as every
    /// console page shows them; the head too, for the page's own use.
    func integrity(checkpoint: AuditCheckpoint? = nil) async throws -> (html: String, head: AuditHead) {
        // Verified on every view, so the badge is computed now, not cached from before a
        // tampering — incrementally: only what was written since the last verified state (the
        // state advances only when nothing was wrong, so a red badge stays red).
        let report = try await reader.verifyIntegrity(newSinceLastRun: Self.problemsShownMax)
        let head = try await reader.auditHead() ?? AuditHead.genesis
        var shown = checkpoint
        if shown == nil { shown = try await receipts?.checkpoint() }
        return (ConsoleChrome.integritySection(report: report, head: head, checkpoint: shown), head)
    }

    static func htmlResponse(_ html: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        headers[.contentSecurityPolicy] = contentSecurityPolicy
        headers[.xContentTypeOptions] = "nosniff"
        // Ledger data: never kept by a browser or proxy cache, never framed by another page,
        // and links out (none today) would not carry the filters in a Referer.
        headers[.cacheControl] = "no-store"
        headers[frameOptionsHeader] = "DENY"
        headers[referrerPolicyHeader] = "no-referrer"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    func page(_ request: Request, device: Device) async throws -> Response {
        let parameters = AuditorQueries.parameters(request)
        // Parse everything before reading anything, so a bad value costs no database work.
        var transferQuery = try queries.transferQuery(request)
        // People read the newest first; `order=oldest` is the JSON API's and the CSV's order.
        switch parameters["order"] ?? "" {
        case "", "newest": transferQuery.newestFirst = true
        case "oldest": transferQuery.newestFirst = false
        default: throw FacePayError.invalidField("order", "must be newest or oldest")
        }
        var eventQuery = AuditEventQuery(
            action: try queries.identifier(parameters, "action"),
            afterSeq: try parse("events_cursor", as: "cursor", parameters) { try queries.cursor($0) },
            limit: try parse("events_limit", as: "limit", parameters) { try queries.limit($0, defaultLimit: nil) },
            // The device filter is shared with the transfers (a terminal's rows in both tables).
            actor: transferQuery.deviceID, customerID: try queries.identifier(parameters, "customer_id"))
        // The overview's links name a period: its events start there too.
        eventQuery.since = transferQuery.since
        eventQuery.until = transferQuery.until

        let (integrity, head) = try await integrity()
        // Landing on the console shows what happened lately. The store pages forward only, so
        // with an action filter the list starts at the first event (finding the newest matching
        // events would mean scanning the log).
        let eventsFromTail = eventQuery.afterSeq == nil && eventQuery.action == nil && eventQuery.since == nil && eventQuery.until == nil
            && eventQuery.keys.isEmpty
        if eventsFromTail {
            eventQuery.afterSeq = max(0, head.seq - Int64(eventQuery.limit))
        }
        let transfers = try await reader.transfers(transferQuery)
        var account: Account?
        if let accountID = transferQuery.accountID { account = try await reader.account(id: accountID) }
        let page = ConsolePage(
            device: device, integrity: integrity, time: time, state: ConsoleState(parameters: parameters),
            transfers: transfers, account: account,
            events: try await events.page(eventQuery), eventsFromTail: eventsFromTail)
        return Self.htmlResponse(page.render())
    }

    /// Problems listed under a red badge; past this the list says it was cut.
    static let problemsShownMax = 200

    /// Parses the event list's own parameter (`events_cursor`, `events_limit`) with the shared
    /// parser of its JSON twin (`cursor`, `limit`), and names the console's parameter in a 400.
    private func parse<Value>(_ name: String, as sharedName: String, _ parameters: [String: String],
                              _ parser: ([String: String]) throws -> Value) throws -> Value {
        var renamed: [String: String] = [:]
        renamed[sharedName] = parameters[name]
        do {
            return try parser(renamed)
        } catch let error as FacePayError {
            throw FacePayError(error.kind, code: error.code,
                               detail: error.detail.replacingOccurrences(of: "'\(sharedName)'", with: "'\(name)'"))
        }
    }
}
