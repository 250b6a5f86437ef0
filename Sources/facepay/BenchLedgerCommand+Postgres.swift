import FacePayCore
import Foundation
import Ledger
import PostgresStorage
import Stores
import Synchronization

/// `facepay bench ledger --database postgres://…`: the same measurement on PostgreSQL, through
/// the store protocol a node uses — each payment is `PaymentLedger.pay` of a matched customer:
/// one transaction with the idempotency record, the account locks, the chain head, the template
/// re-check, the transfer and its audit event — in a scratch database created on that server
/// for each requester count and dropped after it. `--batch-max 1` turns group commit off.
extension BenchLedgerCommand {
    static func runPostgres(server: PostgresLocation, requesters: Int, seconds: Double, batchMax: Int) async throws -> Result {
        try await PostgresDatabase.withScratchDatabase(on: server, prefix: "facepay_bench") { location in
            let database = try PostgresDatabase(location: location, connectionsMax: min(max(requesters, 1), 32))
            return try await database.whileRunning {
                try await database.migrate()
                return try await measurePostgres(database, requesters: requesters, seconds: seconds, batchMax: batchMax)
            }
        }
    }

    private static func measurePostgres(_ database: PostgresDatabase, requesters: Int, seconds: Double, batchMax: Int) async throws -> Result {
        let keyRing = TemplateKeyRingSource(fixed: try TemplateKeyRing.parse(TemplateKeyRing.newKeyLine(now: Date()), source: "bench"))
        var limits = Limits()
        limits.postgresBatchMax = batchMax
        let stores = PostgresStores(database: database, keyRing: keyRing, limits: limits)
        try await stores.addDevice(Device(id: "T-BENCH", role: .terminal, merchantID: "M-BENCH", createdAt: Date()))
        try await stores.addDevice(Device(id: "K-BENCH", role: .kiosk, merchantID: nil, createdAt: Date()))
        let euro = Currency("EUR")!
        var customers: [String] = []
        for index in 0..<max(requesters, 16) {
            var template = [Float](repeating: 0, count: 128)
            template[index % 128] = 1
            let customerID = LedgerIdentifier.make(.customer)
            let enrolment = NewEnrolment(customerID: customerID, fullName: "Bench Customer", phoneE164: "+4915100000000", consentVersion: "2026-01",
                                         kioskID: "K-BENCH", initialDeposit: Money(amountMinor: 1_000_000_000, currency: euro), template: template,
                                         modelID: "sim-128", captureID: Int64(index + 1))
            _ = try await stores.enrol(enrolment, frame: frame("K-BENCH", "seed-\(index)")) { account, _ in
                StoredResponse(status: 201, body: Data(account.id.utf8))
            }
            customers.append(customerID)
        }
        // Batch sizes while the requesters run: the mode names the mean.
        let batches = Mutex((batches: 0, units: 0))
        stores.commitBatchObserver.set { units in batches.withLock { $0.batches += 1; $0.units += units } }
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: .milliseconds(Int64(seconds * 1000)))
        let started = clock.now
        let latencies = try await withThrowingTaskGroup(of: [Duration].self) { group -> [Duration] in
            for requester in 0..<requesters {
                let customerID = customers[requester % customers.count]
                group.addTask {
                    var samples: [Duration] = []
                    var sequence = 0
                    while clock.now < deadline {
                        let begin = clock.now
                        let payment = MatchedPayment(paymentID: LedgerIdentifier.make(.payment), amount: Money(amountMinor: 1, currency: euro),
                                                     captureMethod: .automatic, customerID: customerID, merchantID: "M-BENCH", deviceID: "T-BENCH",
                                                     reference: nil, holdExpiresAt: nil, auditDetail: [:],
                                                     template: TemplateUse(customerID: customerID, modelID: "sim-128", captureID: nil))
                        _ = try await stores.pay(payment, attempts: .none, frame: frame("T-BENCH", "bench-\(requester)-\(sequence)")) { decision, _ in
                            guard case .accepted = decision else {
                                throw FacePayError(.internalFailure, code: "bench_failed", detail: "a bench payment was not accepted")
                            }
                            return StoredResponse(status: 201, body: Data("{}".utf8))
                        }
                        sequence += 1
                        samples.append(clock.now - begin)
                    }
                    return samples
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        let elapsed = clock.now - started
        let report = try await stores.verifyIntegrity(newSinceLastRun: 10)
        guard report.ok else { throw FacePayError(.internalFailure, code: "bench_failed", detail: "the ledger does not verify after the bench: \(report.problems)") }
        let (count, units) = batches.withLock { ($0.batches, $0.units) }
        let mean = count == 0 ? 0 : Double(units) / Double(count)
        return summary(mode: "postgres-batch-\(batchMax)-mean-\(String(format: "%.1f", mean))", requesters: requesters, latencies: latencies,
                       elapsed: elapsed)
    }

    private static func frame(_ device: String, _ key: String) -> IdempotencyFrame {
        IdempotencyFrame(deviceID: device, key: key, fingerprint: RequestFingerprint(method: "POST", path: "/bench", body: Data(key.utf8)), now: Date())
    }
}