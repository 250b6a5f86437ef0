import FacePayCore
import Foundation
import GRDB
import Ledger
@testable import Storage
import Stores
import Synchronization
import Testing

@Suite struct BackupTests {
    /// A backup taken while group-committed payments keep arriving opens and verifies.
    @Test func backupDuringWritesOpensAndVerifies() async throws {
        let test = try TestDatabase()
        let wallet = try test.wallet(balanceMinor: 10_000_000)
        let stop = StopFlag()
        let backupPath = test.directory.appendingPathComponent("copy.sqlite").path
        let (result, paymentsDuring) = try await withGroupCommitWriter(test.database) { writer in
            try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        var count = 0
                        while !stop.isSet {
                            _ = try await writer.submit { db in
                                try LedgerStore.pay(db, paymentRequest(wallet: wallet, amountMinor: 1), now: Date())
                            }
                            count += 1
                        }
                        return count
                    }
                }
                // Let the load get going, then back up in the middle of it.
                while try test.count("SELECT count(*) FROM payments") < 200 { try await Task.sleep(for: .milliseconds(5)) }
                let result = try test.database.backup(to: backupPath)
                stop.set()
                var total = 0
                for try await count in group { total += count }
                return (result, total)
            }
        }
        #expect(paymentsDuring >= 200)
        #expect(result.integrity.ok, "\(result.integrity.problems)")
        #expect(result.integrity.transfersChecked >= 200)
        // Reopened independently, the copy is a consistent FacePay database of its own.
        let copy = try AppDatabase.open(path: backupPath)
        #expect(try copy.verifyIntegrity().ok)
        #expect(try copy.writerSynchronousLevel() == 2)
        let copiedPayments = try await copy.pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM payments") ?? 0 }
        #expect(copiedPayments >= 200)
        #expect(copiedPayments <= paymentsDuring)
        try copy.pool.close()
        #expect(throws: FacePayError.self) { try test.database.backup(to: backupPath) }
    }
}

final class StopFlag: Sendable {
    private let flag = Atomic(false)
    var isSet: Bool { flag.load(ordering: .relaxed) }
    func set() { flag.store(true, ordering: .relaxed) }
}
