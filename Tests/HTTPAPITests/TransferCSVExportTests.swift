import FacePayCore
import Foundation
@testable import HTTPAPI
import Hummingbird
import Ledger
import NIOCore
@testable import Storage
import Stores
import Synchronization
import Testing

/// The CSV export streams page by page: complete and in order whatever the ledger's size, each
/// read bounded by the page size.
@Suite struct TransferCSVExportTests {
    /// `deposits` deposits spread round-robin over `wallets` new wallets, written straight to the
    /// database (one transaction: the export is under test, not the payment path).
    static func ledger(_ server: TestServer, wallets: Int, deposits: Int) throws -> [String] {
        try server.database.pool.write { db in
            let accounts = try (0..<wallets).map { index in
                try LedgerStore.createAccount(db, kind: .customerWallet, ownerID: "cus_csv\(index)", currency: Currency("EUR")!,
                                              actor: "K-1", now: Date()).id
            }
            for index in 0..<deposits {
                _ = try LedgerStore.deposit(db, accountID: accounts[index % wallets], amount: Money(amountMinor: Int64(index + 1), currency: Currency("EUR")!),
                                            deviceID: "K-1", actor: "K-1", now: Date())
            }
            return accounts
        }
    }

    /// The transfer ids of a CSV body, in order, after checking its header.
    static func ids(_ csv: Data) throws -> [String] {
        var lines = String(decoding: csv, as: UTF8.self).components(separatedBy: "\r\n")
        #expect(lines.removeLast() == "", "every line ends in CRLF")
        #expect(lines.first == TransferWire.csvHeader)
        return lines.dropFirst().map { String($0.prefix { $0 != "," }) }
    }

    @Test("a ledger of several pages (page size 1000) exports completely and in seq order, with and without an account filter")
    func exportsEveryPageInOrder() async throws {
        try await TestServer.with { server in
            let (_, _, _, auditor) = try server.cast()
            let wallets = try Self.ledger(server, wallets: 3, deposits: 3_300)
            let stored = try await server.database.pool.read { db in
                try String.fetchAll(db, sql: "SELECT id FROM transfers ORDER BY seq")
            }
            #expect(stored.count == 3_300)

            let all = try await auditor.send(.GET, "/v1/ledger/transfers.csv")
            #expect(all.status == 200)
            #expect(all.contentType == "text/csv; charset=utf-8")
            #expect(try Self.ids(all.body) == stored, "four pages, every transfer once, in order")

            let oneWallet = try await auditor.send(.GET, "/v1/ledger/transfers.csv?account_id=\(wallets[1])")
            let expected = try await server.database.pool.read { db in
                try String.fetchAll(db, sql: "SELECT id FROM transfers WHERE credit_account_id = ? ORDER BY seq", arguments: [wallets[1]])
            }
            #expect(expected.count == 1_100)
            #expect(try Self.ids(oneWallet.body) == expected, "filters hold across page boundaries")

            let limited = try await auditor.send(.GET, "/v1/ledger/transfers.csv?limit=5")
            #expect(try Self.ids(limited.body) == Array(stored.prefix(5)), "a limit is still one page")
        }
    }

    @Test("each read fetches at most one page: the memory bound, counted rather than timed")
    func eachReadIsOnePage() async throws {
        try await TestServer.with { server in
            _ = try server.cast()
            _ = try Self.ledger(server, wallets: 2, deposits: 50)
            let pages = Mutex<[Int]>([])
            let export = TransferCSVExport(reader: server.database, pageRows: 7) { count in pages.withLock { $0.append(count) } }
            let response = try await export.response(TransferQuery(limit: 1_000), wantsAll: true)
            #expect(pages.withLock { $0 } == [7], "only the first page is read before the headers go out")

            let collected = CollectedBody()
            try await response.body.write(CollectingWriter(collected: collected))
            #expect(pages.withLock { $0 } == Array(repeating: 7, count: 7) + [1])
            #expect(collected.finished.withLock { $0 })
            let stored = try await server.database.pool.read { db in try String.fetchAll(db, sql: "SELECT id FROM transfers ORDER BY seq") }
            #expect(try Self.ids(collected.data.withLock { $0 }) == stored)
            #expect(collected.writes.withLock { $0 } == 8, "one write per page")
        }
    }
}

final class CollectedBody: Sendable {
    let data = Mutex(Data())
    let writes = Mutex(0)
    let finished = Mutex(false)
}

/// A response body writer that keeps what it is given, as the HTTP server would send it.
struct CollectingWriter: ResponseBodyWriter {
    let collected: CollectedBody

    mutating func write(_ buffer: ByteBuffer) async throws {
        collected.data.withLock { $0.append(contentsOf: buffer.readableBytesView) }
        collected.writes.withLock { $0 += 1 }
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {
        collected.finished.withLock { $0 = true }
    }
}
