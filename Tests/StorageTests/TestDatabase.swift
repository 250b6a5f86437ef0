import FacePayCore
import Foundation
import GRDB
import Ledger
@testable import Storage
import Stores

let eur = Currency("EUR")!
let usd = Currency("USD")!
let terminalID = "T-1"
let merchantID = "M-1"
let kioskID = "K-1"

/// A fresh data directory with an opened, migrated database and registered devices; removed
/// when the test lets go of it.
final class TestDatabase: Sendable {
    let directory: URL
    let database: AppDatabase

    init() throws {
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("facepay-storage-tests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        database = try AppDatabase.open(path: directory.appendingPathComponent("facepay.sqlite").path)
        try database.addDevice(Device(id: terminalID, role: .terminal, merchantID: merchantID, createdAt: Date()))
        try database.addDevice(Device(id: kioskID, role: .kiosk, merchantID: nil, createdAt: Date()))
    }

    deinit {
        try? database.pool.close()
        try? FileManager.default.removeItem(at: directory)
    }

    var path: String { database.path }

    /// A customer wallet holding `balanceMinor`.
    func wallet(_ owner: String = "cus_\(UUID().uuidString.prefix(8))", balanceMinor: Int64, currency: Currency = eur,
                paymentLimitMinor: Int64? = nil, dailyLimitMinor: Int64? = nil, now: Date = Date()) throws -> Account {
        try database.pool.write { db in
            let wallet = try LedgerStore.createAccount(db, kind: .customerWallet, ownerID: owner, currency: currency,
                                                       paymentLimitMinor: paymentLimitMinor, dailyLimitMinor: dailyLimitMinor,
                                                       actor: kioskID, now: now)
            if balanceMinor > 0 {
                let outcome = try LedgerStore.deposit(db, accountID: wallet.id, amount: Money(amountMinor: balanceMinor, currency: currency),
                                                      deviceID: kioskID, actor: kioskID, now: now)
                precondition(outcome.value != nil)
            }
            return try LedgerStore.account(db, id: wallet.id)!
        }
    }

    func account(_ id: String) throws -> Account {
        try database.account(id: id)!
    }

    func count(_ sql: String, _ arguments: StatementArguments = []) throws -> Int {
        try database.pool.read { db in try Int.fetchOne(db, sql: sql, arguments: arguments) ?? -1 }
    }
}

func paymentRequest(wallet: Account, amountMinor: Int64, method: CaptureMethod = .automatic,
                    holdExpiresAt: Date? = nil) -> PaymentRequest {
    PaymentRequest(paymentID: Identifier.make(.payment), amount: Money(amountMinor: amountMinor, currency: wallet.currency),
                   captureMethod: method, customerID: wallet.ownerID, walletAccountID: wallet.id, merchantID: merchantID,
                   deviceID: terminalID, reference: "order-1", holdExpiresAt: holdExpiresAt)
}

/// Runs `body` with a running group-commit writer, then drains and stops it.
func withGroupCommitWriter<T: Sendable>(_ database: AppDatabase, batchSizeMax: Int = 512, queueDepthMax: Int = 8192,
                                        _ body: (GroupCommitWriter) async throws -> T) async throws -> T {
    let writer = GroupCommitWriter(database: database, batchSizeMax: batchSizeMax, queueDepthMax: queueDepthMax)
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await writer.run() }
        do {
            let result = try await body(writer)
            writer.beginShutdown()
            try await group.waitForAll()
            return result
        } catch {
            writer.beginShutdown()
            try await group.waitForAll()
            throw error
        }
    }
}

extension PaymentDecision {
    var label: String {
        switch self {
        case .accepted(let step): step.payment.status.rawValue
        case .declined(let payment): "declined:\(payment.declineCode ?? "")"
        case .rejected(let code): "rejected:\(code.rawValue)"
        }
    }

    var paymentID: String? {
        switch self {
        case .accepted(let step): step.payment.id
        case .declined(let payment): payment.id
        case .rejected: nil
        }
    }
}
