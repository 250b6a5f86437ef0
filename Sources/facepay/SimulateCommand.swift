import ArgumentParser
import Foundation
import Simulator

/// `facepay simulate`: the kiosk and terminal simulator. `--attacks` runs genuine sessions and
/// every attack family in process against the real liveness policy and prints an ISO/IEC 30107-3
/// style report (APCER per family, BPCER). Driving a live server comes later, as another mode of
/// this command.
struct SimulateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Simulate genuine and attack traffic (now: the in-process liveness attack report).")

    @Flag(name: .long, help: "Run the in-process liveness attack report (APCER per attack family, BPCER).")
    var attacks = false

    @Option(name: .long, help: "Genuine (bona fide) sessions.")
    var sessions = 1000

    @Option(name: .long, help: "Attempts per attack family (default: sessions / 5, at least 100).")
    var attempts: Int?

    @Option(name: .long, help: "Seed of the simulation (default: random, printed).")
    var seed: UInt64?

    @Flag(name: .long, help: "Print the report as JSON.")
    var json = false

    func validate() throws {
        guard attacks else {
            throw ValidationError("only --attacks (the in-process report) is available yet; driving a live server is not")
        }
        guard sessions >= 0, sessions <= 1_000_000 else { throw ValidationError("--sessions must be 0…1000000") }
        if let attempts, attempts < 0 || attempts > 1_000_000 { throw ValidationError("--attempts must be 0…1000000") }
    }

    func run() async throws {
        var system = SystemRandomNumberGenerator()
        let seed = self.seed ?? system.next()
        let runner = AttackReportRunner(
            genuineSessions: sessions, attemptsPerFamily: attempts ?? max(100, sessions / 5), seed: seed)
        // Progress on a terminal only, on stderr, so `--json` output stays clean.
        let progress: (@Sendable (Int, Int) -> Void)?
        if isatty(STDERR_FILENO) != 0 {
            progress = { done, total in
                guard done == total || done.isMultiple(of: 50) else { return }
                let line = "\rsimulating \(done)/\(total)" + (done == total ? "\n" : "")
                FileHandle.standardError.write(Data(line.utf8))
            }
        } else {
            progress = nil
        }
        let report = try await runner.run(progress: progress)
        print(json ? report.json : report.table)
    }
}
