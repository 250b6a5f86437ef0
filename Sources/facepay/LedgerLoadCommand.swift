import ArgumentParser
import FacePayCore
import Foundation
import Storage
import Stores
import Synchronization

/// `facepay ledger-load --data-dir D` (hidden): a group-commit payment load for the crash test.
/// Prints each payment id on its own line, with one write(2) each, only after the group commit
/// that made it durable returned, so whoever reads stdout sees only acknowledged payments.
struct LedgerLoadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ledger-load",
        abstract: "Internal: run a group-commit payment load, printing each acknowledged payment id.",
        shouldDisplay: false)

    @OptionGroup var data: DataDirectoryOptions

    @Option(name: .long, help: "Concurrent requesters.")
    var requesters: Int = 32

    @Option(name: .long, help: "Payments per requester (the load stops after them, or when killed).")
    var paymentsPerRequester: Int = 1_000_000

    func validate() throws {
        guard (1...4096).contains(requesters), paymentsPerRequester >= 1 else {
            throw ValidationError("--requesters must be 1-4096 and --payments-per-requester positive")
        }
    }

    func run() async throws {
        let database = try data.openDatabase()
        let workload = try LedgerWorkload.prepare(database, walletCount: requesters, balanceMinor: 1_000_000_000_000)
        let writer = GroupCommitWriter(database: database)
        let output = LineWriter()
        let runID = UUID().uuidString.prefix(8)
        let paymentsPerRequester = paymentsPerRequester
        let requesters = requesters
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await writer.run() }
            let walletIDs = workload.walletIDs
            for requester in 0..<requesters {
                group.addTask {
                    for sequence in 0..<paymentsPerRequester {
                        let key = "load-\(runID)-\(requester)-\(sequence)"
                        let walletID = walletIDs[requester]
                        let prepared = LedgerWorkload.PreparedPayment(walletID: walletID, amountMinor: Int64(1 + sequence % 100),
                                                                      idempotencyKey: key)
                        let (paymentID, _) = try await workload.pay(prepared, through: writer)
                        output.write("\(paymentID)\n")
                    }
                }
            }
            for _ in 0..<requesters { try await group.next() }
            writer.beginShutdown()
            try await group.waitForAll()
        }
    }
}

/// Writes whole lines to stdout, one write(2) per line and one line at a time, unbuffered, so a
/// reader of the pipe sees each line as soon as it is written and never a torn one.
final class LineWriter: Sendable {
    private let lock = Mutex(())

    func write(_ line: String) {
        let bytes = Data(line.utf8)
        // FileHandle writes straight to the descriptor (no stdio buffer to flush).
        lock.withLock { _ in FileHandle.standardOutput.write(bytes) }
    }
}
