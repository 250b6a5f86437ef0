import ArgumentParser
import FacePayCore
import Foundation
import Logging
import PostgresStorage
import ServiceLifecycle
import Storage
import Stores

/// `facepay bench ledger`: durable payments per second with synchronous=FULL and WAL, at 1, 16
/// and 256 concurrent requesters, group commit against one transaction per payment, each run in
/// a fresh database in a temporary directory; plus the fsync latency of that disk.
struct BenchLedgerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ledger",
        abstract: "Benchmark durable ledger payments: group commit vs one transaction per payment.")

    @Flag(name: .long, help: "Print {\"results\": [...], \"fsync_p50_ms\": ...} instead of a table.")
    var json = false

    @Option(name: .long, help: "Seconds each configuration runs.")
    var seconds: Double = 2

    @Option(name: .long, parsing: .upToNextOption, help: "Requester counts to run.")
    var requesters: [Int] = [1, 16, 256]

    @Option(name: .long, parsing: .upToNextOption,
            help: "Modes to run: group, single; 'inline' (diagnostic) runs payments on one thread, 1000 per transaction, to show the CPU cost of a payment without fsync waits or concurrency.")
    var modes: [String] = ["group", "single"]

    @Option(name: .long, help: "Directory for the temporary databases (default: the system temporary directory).")
    var directory: String?

    @Option(name: .long, help: "Run on this PostgreSQL server instead (postgres://USER@HOST:PORT/DB; a scratch database is created there per run and dropped); --modes does not apply.")
    var database: String?

    @Option(name: .long, help: "With --database: units per PostgreSQL transaction on the node (1 = no group commit; 1-64).")
    var batchMax: Int = Limits().postgresBatchMax

    struct Result: Codable {
        let mode: String
        let requesters: Int
        let paymentsPerS: Double
        let p50Ms: Double
        let p99Ms: Double

        enum CodingKeys: String, CodingKey {
            case mode, requesters
            case paymentsPerS = "payments_per_s"
            case p50Ms = "p50_ms"
            case p99Ms = "p99_ms"
        }
    }

    struct Report: Codable {
        let results: [Result]
        let fsyncP50Ms: Double

        /// `{"results": [{"mode", "requesters", "payments_per_s", "p50_ms", "p99_ms"}], "fsync_p50_ms"}`,
        /// keys in exactly this order (JSONEncoder's order is not stable across platforms).
        var json: String {
            let rows = results.map { result in
                "{\"mode\": \"\(result.mode)\", \"requesters\": \(result.requesters), \"payments_per_s\": \(result.paymentsPerS), "
                    + "\"p50_ms\": \(result.p50Ms), \"p99_ms\": \(result.p99Ms)}"
            }
            return "{\"results\": [\(rows.joined(separator: ", "))], \"fsync_p50_ms\": \(fsyncP50Ms)}"
        }

        enum CodingKeys: String, CodingKey {
            case results
            case fsyncP50Ms = "fsync_p50_ms"
        }
    }

    func validate() throws {
        guard seconds > 0, seconds <= 600 else { throw ValidationError("--seconds must be in (0, 600]") }
        guard !requesters.isEmpty, requesters.allSatisfy({ (1...4096).contains($0) }) else {
            throw ValidationError("--requesters must be between 1 and 4096")
        }
        guard !modes.isEmpty, modes.allSatisfy({ ["group", "single", "inline"].contains($0) }) else {
            throw ValidationError("--modes takes group, single and/or inline")
        }
        guard (1...64).contains(batchMax) else { throw ValidationError("--batch-max must be between 1 and 64") }
    }

    func run() async throws {
        let base = URL(fileURLWithPath: directory ?? NSTemporaryDirectory(), isDirectory: true)
            .appendingPathComponent("facepay-bench-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: base) }
        let onTerminal = isatty(STDERR_FILENO) == 1

        let fsyncP50Ms = try Self.measureFsyncP50Ms(in: base, count: 200)
        var results: [Result] = []
        let postgres = try database.map { url in try CommandErrors.run { try PostgresLocation(url: url) } }
        for count in requesters {
            if let postgres {
                if onTerminal { FileHandle.standardError.write(Data("bench ledger: postgres, \(count) requesters…\n".utf8)) }
                results.append(try await CommandErrors.run { try await Self.runPostgres(server: postgres, requesters: count, seconds: seconds, batchMax: batchMax) })
                continue
            }
            for mode in modes {
                if onTerminal { FileHandle.standardError.write(Data("bench ledger: \(mode), \(count) requesters…\n".utf8)) }
                let directory = base.appendingPathComponent("\(mode)-\(count)", isDirectory: true)
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
                results.append(try await Self.runOne(mode: mode, requesters: count, seconds: seconds, directory: directory))
                try? FileManager.default.removeItem(at: directory)
            }
        }
        let report = Report(results: results, fsyncP50Ms: fsyncP50Ms)
        if json {
            print(report.json)
        } else {
            let width = max(8, (results.map(\.mode.count).max() ?? 0) + 1)
            print("mode".padding(toLength: width, withPad: " ", startingAt: 0) + "requesters  payments/s     p50 ms    p99 ms")
            for result in results {
                print(result.mode.padding(toLength: width, withPad: " ", startingAt: 0)
                      + String(format: "%10d  %10.0f  %9.3f %9.3f", result.requesters, result.paymentsPerS, result.p50Ms, result.p99Ms))
            }
            print(String(format: "fsync p50 on this disk: %.3f ms (write 4 KiB + fsync, 200 samples)", fsyncP50Ms))
        }
    }

    static func runOne(mode: String, requesters: Int, seconds: Double, directory: URL) async throws -> Result {
        let database = try AppDatabase.open(path: directory.appendingPathComponent("bench.sqlite").path)
        let synchronousLevel = try database.writerSynchronousLevel()
        precondition(synchronousLevel == 2, "bench must run with synchronous=FULL")
        let workload = try LedgerWorkload.prepare(database, walletCount: max(requesters, 16), balanceMinor: 1_000_000_000)
        let writer = GroupCommitWriter(database: database)
        let clock = ContinuousClock()
        if mode == "inline" {
            return try await runInline(workload: workload, seconds: seconds)
        }
        let deadline = clock.now.advanced(by: .milliseconds(Int64(seconds * 1000)))
        let started = clock.now
        let latencies = try await withThrowingTaskGroup(of: [Duration].self) { group -> [Duration] in
            if mode == "group" { group.addTask { try await writer.run(); return [] } }
            let walletIDs = workload.walletIDs
            for requester in 0..<requesters {
                group.addTask {
                    var samples: [Duration] = []
                    var sequence = 0
                    while clock.now < deadline {
                        let walletID = walletIDs[requester % walletIDs.count]
                        let key = "bench-\(requester)-\(sequence)"
                        sequence += 1
                        let begin = clock.now
                        let prepared = LedgerWorkload.PreparedPayment(walletID: walletID, amountMinor: 1, idempotencyKey: key)
                        if mode == "group" {
                            _ = try await workload.pay(prepared, through: writer)
                        } else {
                            _ = try await workload.payInOwnTransaction(prepared)
                        }
                        samples.append(clock.now - begin)
                    }
                    return samples
                }
            }
            var all: [Duration] = []
            var finishedRequesters = 0
            while let samples = try await group.next() {
                all += samples
                finishedRequesters += samples.isEmpty ? 0 : 1
                if mode == "group" && finishedRequesters == requesters { writer.beginShutdown() }
            }
            return all
        }
        let elapsed = clock.now - started
        if mode == "group", isatty(STDERR_FILENO) == 1 || ProcessInfo.processInfo.environment["FACEPAY_BENCH_VERBOSE"] != nil {
            let statistics = writer.statistics
            FileHandle.standardError.write(Data("  group commit: \(statistics.batchesCommitted) batches, \(statistics.submissionsCommitted / max(1, statistics.batchesCommitted)) payments per batch on average, largest \(statistics.largestBatch), \(Self.microseconds(statistics.transactionDuration) / max(1, statistics.submissionsCommitted)) µs per payment inside the batch transaction, of which \(Self.microseconds(statistics.commitDuration) / max(1, statistics.submissionsCommitted)) µs in COMMIT\n".utf8))
        }
        try workload.close()
        return summary(mode: mode, requesters: requesters, latencies: latencies, elapsed: elapsed)
    }

    /// Payments per second and latency percentiles of one run.
    static func summary(mode: String, requesters: Int, latencies: [Duration], elapsed: Duration) -> Result {
        let elapsedSeconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let sorted = latencies.sorted()
        func percentileMs(_ fraction: Double) -> Double {
            guard !sorted.isEmpty else { return 0 }
            let sample = sorted[min(sorted.count - 1, Int(Double(sorted.count) * fraction))]
            return Double(sample.components.seconds) * 1000 + Double(sample.components.attoseconds) / 1e15
        }
        return Result(mode: mode, requesters: requesters, paymentsPerS: rounded(Double(latencies.count) / elapsedSeconds, 1),
                      p50Ms: rounded(percentileMs(0.50), 3), p99Ms: rounded(percentileMs(0.99), 3))
    }

    /// Payments on one thread in transactions of 1000: the per-payment CPU cost of the ledger
    /// itself. Latencies are per payment, each transaction's duration divided by 1000.
    static func runInline(workload: LedgerWorkload, seconds: Double) async throws -> Result {
        let clock = ContinuousClock()
        let begin = clock.now
        var perPayment: [Double] = []
        while clock.now - begin < .milliseconds(Int64(seconds * 1000)) {
            let base = perPayment.count * 1000
            let started = clock.now
            try await workload.payInOneTransaction(count: 1000, base: base)
            let elapsed = clock.now - started
            perPayment.append((Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15) / 1000)
        }
        let total = clock.now - begin
        let totalSeconds = Double(total.components.seconds) + Double(total.components.attoseconds) / 1e18
        let sorted = perPayment.sorted()
        try workload.close()
        return Result(mode: "inline", requesters: 1, paymentsPerS: rounded(Double(sorted.count * 1000) / totalSeconds, 1),
                      p50Ms: rounded(sorted[sorted.count / 2], 3), p99Ms: rounded(sorted[min(sorted.count - 1, sorted.count * 99 / 100)], 3))
    }

    static func microseconds(_ duration: Duration) -> Int {
        Int(duration.components.seconds) * 1_000_000 + Int(duration.components.attoseconds / 1_000_000_000_000)
    }

    /// Median time of writing 4 KiB to a file and fsync-ing it, on the disk of `directory`.
    static func measureFsyncP50Ms(in directory: URL, count: Int) throws -> Double {
        let path = directory.appendingPathComponent("fsync-probe").path
        let descriptor = open(path, O_CREAT | O_WRONLY, 0o600)
        guard descriptor >= 0 else { throw FacePayError(.internalFailure, code: "bench_failed", detail: "cannot create \(path)") }
        defer { close(descriptor); unlink(path) }
        let block = [UInt8](repeating: 0x5A, count: 4096)
        var samples: [Double] = []
        for _ in 0..<count {
            let begin = DispatchTime.now().uptimeNanoseconds
            let written = block.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
            guard written == block.count, fsync(descriptor) == 0 else {
                throw FacePayError(.internalFailure, code: "bench_failed", detail: "write+fsync failed on \(path)")
            }
            samples.append(Double(DispatchTime.now().uptimeNanoseconds - begin) / 1e6)
        }
        return rounded(samples.sorted()[samples.count / 2], 3)
    }

    static func rounded(_ value: Double, _ decimals: Int) -> Double {
        let scale = pow(10, Double(decimals))
        return (value * scale).rounded() / scale
    }
}
