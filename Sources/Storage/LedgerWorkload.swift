import FacePayCore
import Foundation
import GRDB
import Ledger
import Stores

/// The synthetic payment load on the SQLite ledger shared by `facepay bench ledger` and the crash test's
/// `facepay ledger-load`: one terminal of one merchant, many funded wallets, and a payment as
/// the payments layer will make it (idempotency record + ledger payment + audit event, in one
/// transaction or savepoint).
public struct LedgerWorkload: Sendable {
    public static let deviceID = "T-LOAD-1"
    public static let merchantID = "M-LOAD"
    public static let currency = Currency("EUR")!

    public let database: AppDatabase
    public let walletIDs: [String]

    /// Registers the terminal and opens and funds `walletCount` wallets, unless done before.
    public static func prepare(_ database: AppDatabase, walletCount: Int, balanceMinor: Int64) throws -> LedgerWorkload {
        try database.addDeviceIfAbsent(Device(id: deviceID, role: .terminal, merchantID: merchantID, createdAt: Date()))
        let walletIDs = try database.pool.write { db -> [String] in
            var ids: [String] = []
            for index in 0..<walletCount {
                let owner = "cus_load_\(index)"
                if let existing = try LedgerStore.account(db, kind: .customerWallet, ownerID: owner, currency: currency) {
                    ids.append(existing.id)
                    continue
                }
                let wallet = try LedgerStore.createAccount(db, kind: .customerWallet, ownerID: owner, currency: currency,
                                                           actor: LedgerStore.operatorActor, now: Date())
                let deposit = try LedgerStore.deposit(db, accountID: wallet.id, amount: Money(amountMinor: balanceMinor, currency: currency),
                                                      deviceID: nil, actor: LedgerStore.operatorActor, now: Date())
                precondition(deposit.value != nil, "funding a load wallet failed: \(String(describing: deposit.resultCode))")
                ids.append(wallet.id)
            }
            return ids
        }
        return LedgerWorkload(database: database, walletIDs: walletIDs)
    }

    /// What a request handler knows before it touches the database: parsed request, its
    /// fingerprint, a fresh payment id. Computed on the requester's own task, not in the writer.
    public struct PreparedPayment: Sendable {
        let walletID: String
        let amountMinor: Int64
        let idempotencyKey: String
        let fingerprint: RequestFingerprint
        let paymentID: String

        public init(walletID: String, amountMinor: Int64, idempotencyKey: String) {
            self.walletID = walletID
            self.amountMinor = amountMinor
            self.idempotencyKey = idempotencyKey
            let body = Data("{\"amount\":\(amountMinor),\"currency\":\"EUR\",\"wallet\":\"\(walletID)\"}".utf8)
            fingerprint = RequestFingerprint(method: "POST", path: "/v1/payments", body: body)
            paymentID = LedgerIdentifier.make(.payment)
        }
    }

    /// One payment through `writer` (group commit), as the payments layer makes them.
    public func pay(_ prepared: PreparedPayment, through writer: GroupCommitWriter) async throws -> (paymentID: String, status: String) {
        try await writer.submit { db in try Self.pay(db, prepared) }
    }

    /// One payment in its own transaction (no group commit: the baseline `bench ledger` compares with).
    public func payInOwnTransaction(_ prepared: PreparedPayment) async throws -> (paymentID: String, status: String) {
        try await database.pool.write { db in try Self.pay(db, prepared) }
    }

    /// `count` payments in one transaction, keys `inline-<base + i>`: the ledger's own cost per payment.
    public func payInOneTransaction(count: Int, base: Int) async throws {
        let walletIDs = walletIDs
        try await database.pool.write { db in
            for index in 0..<count {
                _ = try Self.pay(db, walletID: walletIDs[(base + index) % walletIDs.count], amountMinor: 1,
                                 idempotencyKey: "inline-\(base + index)")
            }
        }
    }

    public func close() throws {
        try database.pool.close()
    }

    /// One payment as a terminal request: returns the payment id and status once committed.
    /// Runs inside whatever transaction the caller provides.
    static func pay(_ db: Database, walletID: String, amountMinor: Int64, idempotencyKey: String) throws -> (paymentID: String, status: String) {
        try pay(db, PreparedPayment(walletID: walletID, amountMinor: amountMinor, idempotencyKey: idempotencyKey))
    }

    static func pay(_ db: Database, _ prepared: PreparedPayment) throws -> (paymentID: String, status: String) {
        let now = Date()
        var result: (paymentID: String, status: String)?
        let response = try Idempotency.run(db, deviceID: deviceID, key: prepared.idempotencyKey, fingerprint: prepared.fingerprint,
                                           now: now) { db in
            let request = PaymentRequest(paymentID: prepared.paymentID, amount: Money(amountMinor: prepared.amountMinor, currency: currency),
                                         customerID: nil, walletAccountID: prepared.walletID, merchantID: merchantID, deviceID: deviceID)
            let decision = try LedgerStore.pay(db, request, now: now)
            let status: String
            switch decision {
            case .accepted(let step): status = step.payment.status.rawValue
            case .declined(let payment): status = "declined:\(payment.declineCode ?? "")"
            case .rejected(let code): throw FacePayError(.unprocessable, code: code.rawValue, detail: "payment rejected")
            }
            result = (request.paymentID, status)
            return (201, Data("{\"payment_id\":\"\(request.paymentID)\",\"status\":\"\(status)\"}".utf8))
        }
        if let result { return result }
        let text = String(decoding: response.body, as: UTF8.self)
        // Replayed: the body is ours, a fixed shape; pull the two fields back out.
        let fields = text.split(separator: "\"")
        return (String(fields[3]), String(fields[7]))
    }
}
