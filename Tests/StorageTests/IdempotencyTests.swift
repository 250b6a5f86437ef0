import FacePayCore
import Foundation
import GRDB
import Ledger
@testable import Storage
import Stores
import Testing

@Suite struct IdempotencyTests {
    /// What a payments endpoint does: the idempotency wrapper around the ledger payment.
    static func pay(_ test: TestDatabase, wallet: Account, key: String, body: String) throws -> IdempotentResponse {
        let fingerprint = RequestFingerprint(method: "POST", path: "/v1/payments", body: Data(body.utf8))
        return try test.database.pool.write { db in
            try Idempotency.run(db, deviceID: terminalID, key: key, fingerprint: fingerprint, now: Date()) { db in
                let decision = try LedgerStore.pay(db, paymentRequest(wallet: wallet, amountMinor: 100), now: Date())
                return (201, Data("{\"payment_id\":\"\(decision.paymentID!)\"}".utf8))
            }
        }
    }

    @Test func sameKeySameBodyReturnsTheFirstResponseAndChargesOnce() throws {
        let test = try TestDatabase()
        let wallet = try test.wallet(balanceMinor: 1_000)
        let first = try Self.pay(test, wallet: wallet, key: "order-77", body: #"{"amount":100}"#)
        let retry = try Self.pay(test, wallet: wallet, key: "order-77", body: #"{"amount":100}"#)
        #expect(!first.replayed)
        #expect(retry.replayed)
        #expect(retry.status == first.status)
        #expect(retry.body == first.body)
        #expect(try test.count("SELECT count(*) FROM transfers WHERE kind = 'payment'") == 1)
        #expect(try test.account(wallet.id).availableMinor == 900)
    }

    @Test func sameKeyDifferentBodyIsAConflict() throws {
        let test = try TestDatabase()
        let wallet = try test.wallet(balanceMinor: 1_000)
        _ = try Self.pay(test, wallet: wallet, key: "order-77", body: #"{"amount":100}"#)
        #expect(throws: FacePayError(.conflict, code: "idempotency_conflict",
                                     detail: "Idempotency-Key 'order-77' was already used with a different request")) {
            try Self.pay(test, wallet: wallet, key: "order-77", body: #"{"amount":200}"#)
        }
        #expect(try test.count("SELECT count(*) FROM transfers WHERE kind = 'payment'") == 1)
    }

    @Test func keysAreScopedToTheDevice() throws {
        let test = try TestDatabase()
        let fingerprint = RequestFingerprint(method: "POST", path: "/x", body: Data())
        for device in [terminalID, kioskID] {
            let response = try test.database.pool.write { db in
                try Idempotency.run(db, deviceID: device, key: "k", fingerprint: fingerprint, now: Date()) { _ in (200, Data(device.utf8)) }
            }
            #expect(!response.replayed)
            #expect(response.body == Data(device.utf8))
        }
    }

    @Test func aFailedOperationStoresNothingSoARetryRunsAgain() throws {
        let test = try TestDatabase()
        let fingerprint = RequestFingerprint(method: "POST", path: "/x", body: Data())
        struct Boom: Error {}
        #expect(throws: Boom.self) {
            try test.database.pool.write { db in
                try Idempotency.run(db, deviceID: terminalID, key: "k", fingerprint: fingerprint, now: Date()) { _ in throw Boom() }
            }
        }
        let response = try test.database.pool.write { db in
            try Idempotency.run(db, deviceID: terminalID, key: "k", fingerprint: fingerprint, now: Date()) { _ in (201, Data("ok".utf8)) }
        }
        #expect(!response.replayed)
    }

    @Test func fingerprintCoversMethodPathAndBody() {
        let base = RequestFingerprint(method: "POST", path: "/v1/payments", body: Data("{}".utf8))
        #expect(base == RequestFingerprint(method: "POST", path: "/v1/payments", body: Data("{}".utf8)))
        #expect(base != RequestFingerprint(method: "POST", path: "/v1/payments/x/capture", body: Data("{}".utf8)))
        #expect(base != RequestFingerprint(method: "POST", path: "/v1/payments", body: Data("{ }".utf8)))
        #expect(RequestFingerprint(hex: base.hex) == base)
        #expect(RequestFingerprint(hex: "xyz") == nil)
    }
}
